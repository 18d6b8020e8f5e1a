import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { INSTALL_HINT } from './errors.js';

export type BubblewrapProbe = { ok: true; path: string; version: string | null } | { ok: false; reason: string };

/** Finds `bwrap` on PATH (or the given path) and proves it can build the namespaces we use. */
export function probeBubblewrap(configured: string | undefined, env: NodeJS.ProcessEnv): BubblewrapProbe {
  const path = configured ?? findOnPath('bwrap', env['PATH'] ?? '/usr/bin:/bin');
  if (path === null) return { ok: false, reason: `bubblewrap (bwrap) was not found on PATH: ${INSTALL_HINT}` };
  const version = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (version.error || version.status !== 0) {
    return { ok: false, reason: `${path} --version failed (${version.error?.message ?? `exit ${String(version.status)}`}): ${INSTALL_HINT}` };
  }
  // The same namespaces every run asks for: a kernel or container that forbids them fails here,
  // once, with its own words, instead of failing every run later.
  const trial = spawnSync(path, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', 'true'],
    { encoding: 'utf8', timeout: 10_000 });
  if (trial.error || trial.status !== 0) {
    const why = (trial.stderr || trial.error?.message || `exit ${String(trial.status)}`).trim().slice(0, 300);
    return { ok: false, reason: `bubblewrap cannot create a sandbox here (${why}); on a host that forbids namespaces set "sandbox": "off"` };
  }
  return { ok: true, path, version: /(\d+\.\d+(?:\.\d+)?)/.exec(version.stdout)?.[1] ?? null };
}

function findOnPath(name: string, pathVar: string): string | null {
  for (const dir of pathVar.split(delimiter)) {
    if (dir.length === 0) continue;
    const candidate = join(dir, name);
    try { accessSync(candidate, constants.X_OK); return candidate; } catch { /* next */ }
  }
  return null;
}
