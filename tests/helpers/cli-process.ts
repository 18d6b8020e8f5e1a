import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The `thalogos` command from the TypeScript sources, as a shell word list. */
export const CLI = [process.execPath, '--import', 'tsx', path.join(ROOT, 'runtime/cli/run.ts')];

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `thalogos ...` as a real process. With `pipeTo`, its stdout goes through a real shell pipe
 * into that command (e.g. `wc -c`), whose output becomes `out`.
 */
export function runCli(args: string[], env: Record<string, string>, options: { cwd?: string; pipeTo?: string } = {}): Promise<CliResult> {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
  const [command, commandArgs] = options.pipeTo
    ? ['/bin/sh', ['-c', `${[...CLI, ...args].map(quote).join(' ')} | ${options.pipeTo}`]]
    : [CLI[0] as string, [...CLI.slice(1), ...args]];
  return new Promise((resolve, reject) => {
    // Only what the command needs: the CLI must not pick up the developer's own THALOGOS_* settings.
    const child = spawn(command, commandArgs, { cwd: options.cwd ?? ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}
