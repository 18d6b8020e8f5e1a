// One setup step of `npm start` (npm ci, the build), run quietly: its output (npm's deprecation
// warnings, Vite's and React Router's notices, the bundle table) is for whoever debugs a failed
// step, so it is shown only then. Returns true when the step succeeded.
import { spawnSync } from 'node:child_process';

export function quietStep(cmd, args, what, { cwd, out = process.stdout, err = process.stderr, env = process.env } = {}) {
  const started = Date.now();
  out.write(`thalogos: ${what}... `);
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...env, NO_COLOR: '1' } });
  if (result.status !== 0) {
    out.write('failed\n');
    err.write(`${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `${result.error.message}\n` : ''}`);
    return false;
  }
  out.write(`done (${Math.round((Date.now() - started) / 1000)} s)\n`);
  return true;
}
