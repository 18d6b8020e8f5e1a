/**
 * Plain-text tables for a terminal: columns padded to their widest cell, the last column cut to
 * the terminal's width (when there is one) so a long prompt does not wrap every row.
 */
export function table(headers: string[], rows: string[][], width: number | null = null): string {
  const cells = [headers, ...rows].map((row) => row.map((cell) => oneLine(cell)));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) => {
      const padded = row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)));
      const line = padded.join('  ').trimEnd();
      return width !== null && line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
    })
    .join('\n');
}

/** Newlines and tabs inside a cell would break the columns. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `n thing` / `n things`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** Key: value lines with the keys aligned. */
export function fields(pairs: Array<[string, string | null | undefined]>): string {
  const present = pairs.filter((pair): pair is [string, string] => pair[1] !== null && pair[1] !== undefined && pair[1] !== '');
  const width = Math.max(0, ...present.map(([key]) => key.length));
  return present.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${value}`).join('\n');
}
