import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config.js';
import { adminCommands } from './admin-commands.js';
import { ApiClientError } from './api-client.js';
import { clientFrom } from './client-from.js';
import type { Command } from './command.js';
import { conflictCommands } from './conflict-commands.js';
import { createOutput } from './output.js';
import { saveCommands } from './save-commands.js';
import { promoteCommands } from './promote-commands.js';
import { serve } from './serve.js';
import { sessionCommands } from './session-commands.js';
import { taskCommands } from './task-commands.js';
import { USAGE, UsageError } from './usage.js';
import { reviewCommands } from './review-commands.js';
import { WaitTimeout } from './wait.js';
import { remedyFor } from './remedies.js';

/** Every client command, by its words: two-word commands ("task show") before one-word ones. */
const COMMANDS: Record<string, Command> = { ...sessionCommands, ...taskCommands, ...saveCommands, ...conflictCommands, ...promoteCommands, ...adminCommands, ...reviewCommands };

const OPTIONS = {
  port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' }, 'repo-roots': { type: 'string' },
  config: { type: 'string' }, demo: { type: 'boolean' }, url: { type: 'string' }, token: { type: 'string' },
  repo: { type: 'string' }, title: { type: 'string' }, prompt: { type: 'string' }, agent: { type: 'string' },
  mode: { type: 'string' }, after: { type: 'string' }, until: { type: 'string' }, task: { type: 'string' },
  name: { type: 'string' }, role: { type: 'string' }, refresh: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  'log-level': { type: 'string' }, 'repair-log': { type: 'boolean' }, json: { type: 'boolean' }, 'no-wait': { type: 'boolean' }, timeout: { type: 'string' },
  cluster: { type: 'boolean' }, goal: { type: 'string' }, message: { type: 'string' }, 'require-approval': { type: 'string' }, reason: { type: 'string' }, take: { type: 'string' }, tasks: { type: 'string' }, base: { type: 'string' }, to: { type: 'string' },
} as const;

/** Entry point of the `thalogos` command; returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      process.stdout.write(USAGE);
      return command || values.help ? 0 : 2;
    }
    if (command === 'serve') return await serve(values, env);
    const twoWords = `${command} ${rest[0] ?? ''}`;
    const [handler, args] = COMMANDS[twoWords] ? [COMMANDS[twoWords], rest.slice(1)] : [COMMANDS[command], rest];
    if (!handler) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
    return await handler({ client: clientFrom(values, env), args, flags: values, out: createOutput(values.json === true), env });
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof UsageError || (error as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
    process.stderr.write(`thalogos: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`thalogos: ${error.message}\n`);
    return 2;
  }
  if (error instanceof ApiClientError) {
    process.stderr.write(`thalogos: ${error.code}: ${error.message}\n`);
    const remedy = remedyFor(error.code);
    if (remedy) process.stderr.write(`What to do: ${remedy}\n`);
    if (error.data !== undefined) process.stderr.write(`${JSON.stringify(error.data, null, 2)}\n`);
    return 1;
  }
  if (error instanceof WaitTimeout) {
    process.stderr.write(`thalogos: ${error.message}\n`);
    return 1;
  }
  if ((error as { code?: unknown })?.code === 'LOG_CORRUPT') {
    // The message names the data dir, what was found and the runbook; a stack would bury it.
    process.stderr.write(`thalogos: ${(error as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`thalogos: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}
