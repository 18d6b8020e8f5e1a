import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './server-process.js';

/** A real redis-server (or redis-sentinel) child on a free 127.0.0.1 port with its own temp dir. */
export interface RedisProcess {
  port: number;
  dir: string;
  child: ChildProcess;
  output: () => string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

async function waitForPing(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis exited early (${child.exitCode}):\n${output()}`);
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined); // refused while it starts: the loop retries
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis on ${port} did not answer PING:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function run(binary: string, args: string[], port: number, dir: string): Promise<RedisProcess> {
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = () => text;
  const handle: RedisProcess = {
    port,
    dir,
    child,
    output,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      await handle.kill9();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return waitForPing(port, child, output).then(() => handle, async (error: unknown) => {
    await handle.stop();
    throw error;
  });
}

/**
 * redis-server with the durability cluster mode requires: AOF with `appendfsync always`, so a
 * reply to an append means the entry is on disk. `replicaOf` makes it a replica.
 */
export async function startRedis(options: { replicaOf?: number; port?: number; dir?: string } = {}): Promise<RedisProcess> {
  // port + dir: the same server started again (after kill9) on its own data.
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'thalogos-redis-')));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no',
    ...(options.replicaOf ? ['--replicaof', '127.0.0.1', String(options.replicaOf)] : []),
  ];
  return run('redis-server', args, port, dir);
}

/** redis-sentinel watching `masterName` on masterPort (quorum 2 of three in the tests). */
export async function startSentinel(masterPort: number, masterName: string, quorum = 2): Promise<RedisProcess> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'thalogos-sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'protected-mode no',
      `dir ${dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 5000`,
      `sentinel parallel-syncs ${masterName} 1`,
      '',
    ].join('\n'),
  );
  return run('redis-sentinel', [conf], port, dir);
}
