import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every file under a directory, as text (LevelDB logs and tables; task worktrees are skipped). */
export function readTree(dir: string): string {
  let out = '';
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (entry === 'worktrees') continue;
    if (statSync(full).isDirectory()) out += readTree(full);
    else out += readFileSync(full).toString('latin1');
  }
  return out;
}
