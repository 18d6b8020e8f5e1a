import type { ApiClient } from './api-client.js';
import type { Output } from './output.js';
import { UsageError } from './usage.js';

export type Flags = Record<string, string | boolean | undefined>;

/** What every client command gets: the API, its positional arguments, the flags, the output. */
export interface CommandContext {
  client: ApiClient;
  /** Positional arguments after the command's own words (`task show S T` -> [S, T]). */
  args: string[];
  flags: Flags;
  out: Output;
  /** The process environment (commands that reach the cluster's Redis read its settings there). */
  env: NodeJS.ProcessEnv;
}

/** Returns the exit code: 0 done, 1 the outcome was a failure (a failed Save, a broken chain). */
export type Command = (ctx: CommandContext) => Promise<number>;

export function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function need(value: string | boolean | undefined, what: string): string {
  const text = str(value);
  if (!text) throw new UsageError(`missing ${what}`);
  return text;
}

export function nonNegative(value: string | undefined, flag: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new UsageError(`${flag} takes a whole number >= 0, got ${value}`);
  return parsed;
}

export function sessionPath(id: string | undefined): string {
  return `/api/sessions/${encodeURIComponent(need(id, 'SESSION'))}`;
}

export function taskPath(sessionId: string | undefined, taskId: string | undefined): string {
  return `${sessionPath(sessionId)}/tasks/${encodeURIComponent(need(taskId, 'TASK'))}`;
}
