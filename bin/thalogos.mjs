#!/usr/bin/env node
// The `thalogos` command. Runs the compiled build when present (`npm run build`), otherwise the
// TypeScript sources through tsx, so a fresh checkout works before its first build.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/runtime/cli/run.js`;
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(`${root}runtime/cli/run.ts`).href);
}
