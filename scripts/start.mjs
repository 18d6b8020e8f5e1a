#!/usr/bin/env node
// `npm start`: install what is missing, build what is stale, then run the console on the embedded
// store with a demo repository and session on first start. Extra arguments go to `thalogos serve`.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIsFresh } from './build-freshness.mjs';
import { quietStep } from './quiet-step.mjs';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args, what) => {
  if (!quietStep(cmd, args, what, { cwd: root })) process.exit(1);
};

const installedLock = path.join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installedLock) || statSync(installedLock).mtimeMs < statSync(path.join(root, 'package-lock.json')).mtimeMs) {
  run(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], 'installing dependencies (npm ci)');
}

// `npm run build` stamps dist/ when it is done.
if (!buildIsFresh(root)) run(npm, ['run', '--silent', 'build'], 'building the runtime and the console');

const child = spawn(process.execPath, [path.join(root, 'bin', 'thalogos.mjs'), 'serve', '--demo', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
