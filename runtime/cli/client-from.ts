import path from 'node:path';
import { DEFAULT_HOST, DEFAULT_PORT } from '../config/config.js';
import { ApiClient } from './api-client.js';
import { str, type Flags } from './command.js';
import { readServerFile } from './server-file.js';
import { UsageError } from './usage.js';

/**
 * Where client commands connect: --url, THALOGOS_URL, the server running on this data dir (it
 * records its URL), then THALOGOS_HOST:THALOGOS_PORT. The token: --token, THALOGOS_TOKEN, then
 * THALOGOS_ADMIN_TOKEN (the one automation starts the server with).
 */
export function clientFrom(flags: Flags, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): ApiClient {
  const host = env.THALOGOS_HOST ?? DEFAULT_HOST;
  const running = () => readServerFile(path.resolve(cwd, env.THALOGOS_DATA_DIR ?? '.thalogos'))?.url;
  const url =
    str(flags.url) ??
    env.THALOGOS_URL ??
    (env.THALOGOS_PORT ? undefined : running()) ??
    `http://${host.includes(':') ? `[${host}]` : host}:${env.THALOGOS_PORT ?? DEFAULT_PORT}`;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url is not a URL: ${url}`);
  }
  const token = str(flags.token) ?? env.THALOGOS_TOKEN ?? env.THALOGOS_ADMIN_TOKEN ?? null;
  const source = str(flags.token) ? '--token' : env.THALOGOS_TOKEN ? 'THALOGOS_TOKEN' : env.THALOGOS_ADMIN_TOKEN ? 'THALOGOS_ADMIN_TOKEN' : null;
  return new ApiClient(url, token, source);
}
