/**
 * Field-by-field differences between two JSON values, as paths (`tasks[2].runs[0].state`), so a
 * failing comparison names the field instead of dumping two whole views.
 */
export interface Difference {
  path: string;
  left: unknown;
  right: unknown;
}

export function deepDiff(left: unknown, right: unknown, path = '', out: Difference[] = [], limit = 20): Difference[] {
  if (out.length >= limit) return out;
  if (Object.is(left, right)) return out;
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length !== right.length) out.push({ path: `${path}.length`, left: left.length, right: right.length });
    for (let i = 0; i < Math.min(left.length, right.length); i += 1) deepDiff(left[i], right[i], `${path}[${i}]`, out, limit);
    return out;
  }
  if (isPlainObject(left) && isPlainObject(right)) {
    const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
    for (const key of [...keys].sort()) {
      const child = path ? `${path}.${key}` : key;
      if (!(key in left)) out.push({ path: child, left: '<absent>', right: right[key] });
      else if (!(key in right)) out.push({ path: child, left: left[key], right: '<absent>' });
      else deepDiff(left[key], right[key], child, out, limit);
    }
    return out;
  }
  out.push({ path: path || '<root>', left, right });
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function formatDifferences(differences: Difference[], leftName: string, rightName: string): string {
  const short = (value: unknown) => {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text;
  };
  return differences.map((d) => `  ${d.path}: ${leftName}=${short(d.left)} ${rightName}=${short(d.right)}`).join('\n');
}
