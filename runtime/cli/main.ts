import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_HOST, DEFAULT_PORT, loadConfig } from '../config/config.js';
import { ApiClient, ApiClientError } from './api-client.js';
import { offlineToken } from './offline-token.js';
import { replaySession } from './replay.js';
import { USAGE, UsageError } from './usage.js';

type Flags = Record<string, string | boolean | undefined>;

/** Entry point of the `thalogos` command; returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' }, 'repo-roots': { type: 'string' },
        config: { type: 'string' }, demo: { type: 'boolean' }, url: { type: 'string' }, token: { type: 'string' },
        repo: { type: 'string' }, title: { type: 'string' }, prompt: { type: 'string' }, agent: { type: 'string' },
        mode: { type: 'string' }, after: { type: 'string' }, until: { type: 'string' }, task: { type: 'string' },
        name: { type: 'string' }, role: { type: 'string' }, refresh: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
        'log-level': { type: 'string' },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || !command) {
      process.stdout.write(USAGE);
      return command || values.help ? 0 : 2;
    }
    if (command === 'serve') return await serve(values, env);
    const client = clientFrom(values, env);
    const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    const need = (value: string | undefined, what: string): string => {
      if (!value) throw new UsageError(`missing ${what}`);
      return value;
    };
    const sessionPath = (id: string | undefined) => `/api/sessions/${encodeURIComponent(need(id, 'SESSION'))}`;
    switch (`${command} ${rest[0] ?? ''}`.trim()) {
      case 'session create':
        print(await client.request('POST', '/api/sessions', { repoPath: need(str(values.repo), '--repo'), title: need(str(values.title), '--title') }));
        return 0;
      case 'session list':
        print(await client.request('GET', '/api/sessions'));
        return 0;
      case 'session show':
        print(await client.request('GET', sessionPath(rest[1])));
        return 0;
      case 'task add':
        print(await client.request('POST', `${sessionPath(rest[1])}/tasks`, {
          prompt: need(str(values.prompt), '--prompt'),
          ...(values.agent ? { agent: str(values.agent) } : {}),
        }));
        return 0;
      case 'task cancel':
        print(await client.request('POST', `${sessionPath(rest[1])}/tasks/${encodeURIComponent(need(rest[2], 'TASK'))}/cancel`, {}));
        return 0;
      case 'audit verify': {
        const result = await client.request<{ ok: boolean }>('GET', '/api/audit/verify');
        print(result);
        return result.ok ? 0 : 1;
      }
      case 'token create':
        // With --data-dir: straight into a stopped server's database (the lost-admin-token path).
        if (str(values['data-dir'])) return await offlineToken(str(values['data-dir']) ?? '', need(str(values.name), '--name'), need(str(values.role), '--role'), print);
        print(await client.request('POST', '/api/tokens', { name: need(str(values.name), '--name'), role: need(str(values.role), '--role') }));
        return 0;
      default:
        break;
    }
    switch (command) {
      case 'save':
        print(await client.request('POST', `${sessionPath(rest[0])}/save`, {}));
        return 0;
      case 'rollback':
        print(await client.request('POST', `${sessionPath(rest[0])}/rollback`, {
          checkpoint: need(rest[1], 'CHECKPOINT'),
          ...(values.mode ? { mode: str(values.mode) } : {}),
        }));
        return 0;
      case 'events': {
        const query = new URLSearchParams();
        if (values.after) query.set('after', String(nonNegative(str(values.after), '--after')));
        if (values.task) query.set('taskId', String(values.task));
        print(await client.request('GET', `${sessionPath(rest[0])}/events${query.size ? `?${query}` : ''}`));
        return 0;
      }
      case 'replay':
        print(await replaySession(client, need(rest[0], 'SESSION'), values.until ? nonNegative(str(values.until), '--until') : null));
        return 0;
      case 'agents':
        print(values.refresh ? await client.request('POST', '/api/agents/refresh', {}) : await client.request('GET', '/api/agents'));
        return 0;
      default:
        throw new UsageError(`unknown command: ${positionals.join(' ')}`);
    }
  } catch (error) {
    return reportError(error);
  }
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function nonNegative(value: string | undefined, flag: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new UsageError(`${flag} takes a whole number >= 0, got ${value}`);
  return parsed;
}

function clientFrom(values: Flags, env: NodeJS.ProcessEnv): ApiClient {
  const host = env.THALOGOS_HOST ?? DEFAULT_HOST;
  const url = str(values.url) ?? env.THALOGOS_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${env.THALOGOS_PORT ?? DEFAULT_PORT}`;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url is not a URL: ${url}`);
  }
  return new ApiClient(url, str(values.token) ?? env.THALOGOS_TOKEN ?? env.THALOGOS_ADMIN_TOKEN ?? null);
}

async function serve(values: Flags, env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig({
    env,
    cwd: process.cwd(),
    flags: {
      ...(str(values.port) ? { port: str(values.port) } : {}),
      ...(str(values.host) ? { host: str(values.host) } : {}),
      ...(str(values['data-dir']) ? { dataDir: str(values['data-dir']) } : {}),
      ...(str(values['repo-roots']) ? { repoRoots: str(values['repo-roots']) } : {}),
      ...(str(values.config) ? { config: str(values.config) } : {}),
      ...(values.demo ? { demo: true } : {}),
      ...(str(values['log-level']) ? { logLevel: str(values['log-level']) } : {}),
    },
  });
  // Loaded lazily so that client commands do not pay for the server's dependencies.
  const { startServer } = await import('../server.js');
  const { ensureDemo } = await import('../demo.js');
  const server = await startServer(config, { env });
  const demo = config.demo ? await ensureDemo(server.context) : null;
  const lines = [`Thalogos is running: ${server.url}/`];
  if (server.createdAdminToken) lines.push(`Admin token (shown once; stored only as a hash): ${server.createdAdminToken}`);
  else if (config.adminToken) lines.push('Admin token: the value of THALOGOS_ADMIN_TOKEN');
  if (demo) lines.push(`Demo session: ${demo.sessionId} on ${demo.repoPath}${demo.created ? ' (created now)' : ''}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
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
    if (error.data !== undefined) process.stderr.write(`${JSON.stringify(error.data, null, 2)}\n`);
    return 1;
  }
  process.stderr.write(`thalogos: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}
