// A real local cluster for the failover suites: redis-server master + replica, three
// redis-sentinel processes, and N `node bin/thalogos.mjs serve` children that share the
// repositories directory. Every process is a real child on a free 127.0.0.1 port; stop() kills
// them all and removes every temporary directory, whatever state the test left them in.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { apiClient } from './api.js';
import { startRedis, startSentinel, type RedisProcess } from './redis-process.js';
import { freePort } from './server-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLUSTER_ADMIN = 'cluster-admin-token-0123456789abcdef';
export const MASTER_NAME = 'thalogos';

export interface ClusterOptions {
  nodes?: number;
  leaseMs?: number;
  waitReplicas?: number;
  /** Extra environment for every node. */
  env?: Record<string, string>;
}

export interface NodeProcess {
  id: string;
  port: number;
  url: string;
  dataDir: string;
  child: ChildProcess | null;
  output: string;
}

export interface Cluster {
  tmp: string;
  admin: string;
  /** Where sessions' repositories live: the same path for every node (the shared filesystem). */
  repos: string;
  redis: { master: RedisProcess; replica: RedisProcess; sentinels: RedisProcess[] };
  nodes: NodeProcess[];
  leaseMs: number;
  api(index: number, token?: string | null): ReturnType<typeof apiClient>;
  startNode(index: number): Promise<void>;
  kill9(index: number): Promise<void>;
  /** SIGTERM: the node drains and exits. */
  stopNode(index: number): Promise<void>;
  pause(index: number): void;
  resume(index: number): void;
  /** Starts the redis-server `which` again on its port and data (after kill9): Sentinel makes it a replica. */
  restartRedis(which: 'master' | 'replica'): Promise<void>;
  /** The master Sentinel currently names (host:port). */
  masterAddress(): Promise<string>;
  /** A direct client on the Sentinel-named master (for checks). */
  redisClient(): Promise<Redis>;
  stop(): Promise<void>;
}

function alive(child: ChildProcess | null): child is ChildProcess {
  return child !== null && child.exitCode === null && child.signalCode === null;
}

async function waitHealthy(node: NodeProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (!alive(node.child)) throw new Error(`node ${node.id} exited early:\n${node.output.slice(-4000)}`);
    try {
      const response = await fetch(`${node.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`node ${node.id} did not answer /healthz:\n${node.output.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function waitReplicaLinked(port: number): Promise<void> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    const deadline = Date.now() + 30_000;
    while (!/master_link_status:up/.test(await client.info('replication'))) {
      if (Date.now() > deadline) throw new Error(`the replica on ${port} did not link to its master`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.disconnect();
  }
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.nodes ?? 3;
  const leaseMs = options.leaseMs ?? 3_000;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-cluster-'));
  const repos = path.join(tmp, 'repos');
  await mkdir(repos, { recursive: true });
  const started: RedisProcess[] = [];
  const clients: Redis[] = [];
  const nodes: NodeProcess[] = [];
  const cleanup = async () => {
    for (const node of nodes) {
      if (node.child && node.child.signalCode === 'SIGSTOP') node.child.kill('SIGCONT');
      if (alive(node.child)) {
        const exited = new Promise((resolve) => node.child?.once('exit', resolve));
        node.child.kill('SIGKILL');
        await exited;
      }
    }
    for (const client of clients) client.disconnect();
    for (const process of started) await process.stop().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  };
  try {
    const master = await startRedis();
    started.push(master);
    const replica = await startRedis({ replicaOf: master.port });
    started.push(replica);
    // The replica's link must be up before any node starts: with WAIT_REPLICAS >= 1 a node's
    // first append (at start) is refused NOT_REPLICATED otherwise, and the node exits.
    await waitReplicaLinked(replica.port);
    const sentinels: RedisProcess[] = [];
    for (let i = 0; i < 3; i += 1) {
      const sentinel = await startSentinel(master.port, MASTER_NAME);
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    for (let i = 0; i < count; i += 1) {
      const port = await freePort();
      nodes.push({ id: `node-${String.fromCharCode(97 + i)}`, port, url: `http://127.0.0.1:${port}`, dataDir: path.join(tmp, `data-${i}`), child: null, output: '' });
    }
    const sentinelList = sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');

    const startNode = async (index: number) => {
      const node = nodes[index];
      if (!node) throw new Error(`no node ${index}`);
      if (alive(node.child)) throw new Error(`node ${node.id} is running`);
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        THALOGOS_HOST: '127.0.0.1',
        THALOGOS_PORT: String(node.port),
        THALOGOS_DATA_DIR: node.dataDir,
        THALOGOS_REPO_ROOTS: repos,
        // The shared filesystem: repositories and worktrees at the same path on every node.
        THALOGOS_WORKTREE_DIR: path.join(tmp, 'worktrees'),
        THALOGOS_CONFIG: path.join(tmp, 'no-config.json'),
        THALOGOS_ADMIN_TOKEN: CLUSTER_ADMIN,
        THALOGOS_LOG_LEVEL: 'warn',
        THALOGOS_REDIS_SENTINELS: sentinelList,
        THALOGOS_REDIS_MASTER: MASTER_NAME,
        THALOGOS_NODE_ID: node.id,
        THALOGOS_ADVERTISE_URL: node.url,
        THALOGOS_LEASE_MS: String(leaseMs),
        THALOGOS_REDIS_WAIT_REPLICAS: String(options.waitReplicas ?? 0),
        ...options.env,
      };
      // `node bin/thalogos.mjs serve` itself (no npx wrapper), so kill -9 and SIGSTOP reach the server.
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/thalogos.mjs'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      node.child = child;
      node.output = '';
      const append = (chunk: Buffer) => {
        node.output += chunk.toString();
        if (node.output.length > 200_000) node.output = node.output.slice(-100_000);
      };
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
      await waitHealthy(node, 90_000);
    };

    const signalNode = async (index: number, signal: NodeJS.Signals, graceMs: number) => {
      const node = nodes[index];
      if (!node || !alive(node.child)) return;
      const child = node.child;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    };

    const redisClient = async () => {
      const client = new Redis({ sentinels: sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port })), name: MASTER_NAME, maxRetriesPerRequest: 20 });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    };

    for (let i = 0; i < count; i += 1) await startNode(i);
    const redisProcesses = { master, replica, sentinels };

    return {
      tmp,
      admin: CLUSTER_ADMIN,
      repos,
      redis: redisProcesses,
      nodes,
      leaseMs,
      api: (index, token = CLUSTER_ADMIN) => apiClient(nodes[index]?.url ?? '', token),
      startNode,
      kill9: (index) => signalNode(index, 'SIGKILL', 5_000),
      stopNode: (index) => signalNode(index, 'SIGTERM', 20_000),
      async restartRedis(which) {
        const old = redisProcesses[which];
        const again = await startRedis({ port: old.port, dir: old.dir });
        started.push(again);
        redisProcesses[which] = again;
      },
      pause(index) {
        nodes[index]?.child?.kill('SIGSTOP');
      },
      resume(index) {
        nodes[index]?.child?.kill('SIGCONT');
      },
      async masterAddress() {
        const sentinel = new Redis({ host: '127.0.0.1', port: sentinels[0]?.port ?? 0, maxRetriesPerRequest: 1 });
        sentinel.on('error', () => undefined);
        try {
          const [host, port] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
          return `${host}:${port}`;
        } finally {
          sentinel.disconnect();
        }
      },
      redisClient,
      stop: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** A suite's cluster: started before its tests, stopped (everything killed, removed) after them. */
export function useCluster(options: ClusterOptions = {}): () => Cluster {
  let cluster: Cluster | null = null;
  beforeAll(async () => {
    cluster = await startCluster(options);
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  return () => {
    if (!cluster) throw new Error('the cluster did not start');
    return cluster;
  };
}
