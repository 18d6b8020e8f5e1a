import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export type BinaryLookup =
  | { found: true; path: string; source: 'config' | 'node_modules' | 'path' }
  | { found: false; reason: string };

/**
 * Finds an executable: the configured `bin` (a path, or a name looked up below), then
 * `<projectRoot>/node_modules/.bin/<name>`, then each PATH entry.
 */
export async function lookupBinary(opts: { name: string; configured?: string | undefined; projectRoot: string; env: NodeJS.ProcessEnv }): Promise<BinaryLookup> {
  const { configured } = opts;
  if (configured !== undefined && (isAbsolute(configured) || configured.includes('/'))) {
    const path = resolve(opts.projectRoot, configured);
    return (await isExecutable(path))
      ? { found: true, path, source: 'config' }
      : { found: false, reason: `configured bin ${path} is not an executable file` };
  }
  const name = configured ?? opts.name;
  const local = join(opts.projectRoot, 'node_modules', '.bin', name);
  if (await isExecutable(local)) return { found: true, path: local, source: configured ? 'config' : 'node_modules' };
  for (const dir of (opts.env['PATH'] ?? '').split(delimiter)) {
    if (dir.length === 0) continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return { found: true, path: candidate, source: configured ? 'config' : 'path' };
  }
  return { found: false, reason: `${name} not found in ${join(opts.projectRoot, 'node_modules', '.bin')} or PATH` };
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
