#!/usr/bin/env node
// The `thalogos` command. Runs the compiled build when it is there and newer than the sources
// (`npm run build`, `npm start`), otherwise the TypeScript sources through tsx: a fresh checkout
// works before its first build, and a `git pull` never runs yesterday's build.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildIsFresh } from '../scripts/build-freshness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/runtime/cli/run.js`;
if (existsSync(built) && buildIsFresh(root)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(`${root}runtime/cli/run.ts`).href);
}
