// Whether dist/ (the compiled runtime and console) is older than the sources it was built from:
// shared by `npm start` (rebuilds) and the `thalogos` command (runs the sources instead of a
// stale build, e.g. right after a `git pull`).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const SOURCE_DIRS = ['contracts', 'runtime', 'actors', 'sync', 'adapters', 'git-engine', 'web'];

export function buildStampPath(root) {
  return path.join(root, 'dist', '.build-stamp');
}

/** True when there is a build and every source (and the lockfile) is older than its stamp. */
export function buildIsFresh(root) {
  const stamp = buildStampPath(root);
  if (!existsSync(stamp)) return false;
  const newest = Math.max(...SOURCE_DIRS.map((dir) => newestMtime(path.join(root, dir))), statSync(path.join(root, 'package-lock.json')).mtimeMs);
  return statSync(stamp).mtimeMs >= newest;
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'fixtures', 'build', '.react-router'].includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else if (/\.(ts|tsx|css)$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

// `node scripts/build-freshness.mjs --stamp` (the end of `npm run build`): marks dist/ as built now.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]) && process.argv.includes('--stamp')) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  writeFileSync(buildStampPath(root), new Date().toISOString());
}
