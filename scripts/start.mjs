#!/usr/bin/env node
// `npm start`: install what is missing, build what is stale, then run the console on the embedded
// store with a demo repository and session on first start. Extra arguments go to `thalogos serve`.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/**
 * Runs a setup step quietly: its output (npm's deprecation warnings, Vite's and React Router's
 * notices, the bundle table) is for whoever debugs a failed step, so it is shown only then.
 */
const run = (cmd, args, what) => {
  const started = Date.now();
  process.stdout.write(`thalogos: ${what}... `);
  const result = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
  if (result.status !== 0) {
    process.stdout.write('failed\n');
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `${result.error.message}\n` : ''}`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`done (${Math.round((Date.now() - started) / 1000)} s)\n`);
};

const installedLock = path.join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installedLock) || statSync(installedLock).mtimeMs < statSync(path.join(root, 'package-lock.json')).mtimeMs) {
  run(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], 'installing dependencies (npm ci)');
}

const stamp = path.join(root, 'dist', '.build-stamp');
const sourceDirs = ['runtime', 'actors', 'sync', 'adapters', 'git-engine', 'web'];
const newestSource = Math.max(...sourceDirs.map((dir) => newestMtime(path.join(root, dir))), statSync(path.join(root, 'package-lock.json')).mtimeMs);
if (!existsSync(stamp) || statSync(stamp).mtimeMs < newestSource) {
  run(npm, ['run', '--silent', 'build'], 'building the runtime and the console');
  writeFileSync(stamp, new Date().toISOString());
}

const child = spawn(process.execPath, [path.join(root, 'bin', 'thalogos.mjs'), 'serve', '--demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

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
