import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * The directory a sandboxed program must still see when it is installed under /tmp, which the
 * sandbox replaces with a private tmpfs: the topmost `node_modules` above the program (a CLI from
 * npm runs its own scripts and native binaries from there), else the program's own directory.
 * Null when the program is not under /tmp (the read-only root already shows it).
 */
export function programRootUnderTmp(bin: string): string | null {
  if (!path.isAbsolute(bin)) return null;
  let real: string;
  try {
    real = realpathSync(bin);
  } catch {
    return null;
  }
  const underTmp = (p: string) => p === '/tmp' || p.startsWith('/tmp/');
  if (!underTmp(real) && !underTmp(bin)) return null;
  const parts = real.split(path.sep);
  const first = parts.indexOf('node_modules');
  const root = first > 0 ? parts.slice(0, first + 1).join(path.sep) : path.dirname(real);
  return root === '/tmp' ? null : root;
}
