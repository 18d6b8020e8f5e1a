/** One rendered line of a file's unified diff. */
export interface DiffLine {
  kind: 'hunk' | 'add' | 'del' | 'context' | 'meta';
  text: string;
  oldLine: number | null;
  newLine: number | null;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Parses the patch of one file (git's unified format) into numbered lines. */
export function parsePatch(patch: string): DiffLine[] {
  const out: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const raw of patch.split('\n')) {
    const hunk = HUNK.exec(raw);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      inHunk = true;
      out.push({ kind: 'hunk', text: raw, oldLine: null, newLine: null });
      continue;
    }
    if (!inHunk) continue; // file headers (diff --git, ---, +++) are shown by the file header
    if (raw.startsWith('+')) out.push({ kind: 'add', text: raw.slice(1), oldLine: null, newLine: newLine++ });
    else if (raw.startsWith('-')) out.push({ kind: 'del', text: raw.slice(1), oldLine: oldLine++, newLine: null });
    else if (raw.startsWith(' ')) out.push({ kind: 'context', text: raw.slice(1), oldLine: oldLine++, newLine: newLine++ });
    else if (raw.startsWith('\\')) out.push({ kind: 'meta', text: raw, oldLine: null, newLine: null });
  }
  return out;
}
