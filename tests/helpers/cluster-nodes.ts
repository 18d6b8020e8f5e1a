import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { apiClient } from './api.js';
import { makeRepo } from './git-repo.js';
import { startRedis, type RedisProcess } from './redis-process.js';
import { freePort, startServerProcess, type ServerProcess } from './server-process.js';

export const CLUSTER_ADMIN = 'cluster-admin-token-0123456789abcdef';

/**
 * A real cluster for tests: one redis-server (AOF, appendfsync always) and `thalogos serve` child
 * processes on free ports, each with its own data dir, all sharing the repository root (cluster
 * mode requires repositories at the same path on every node). Only the `command` agent runs.
 */
export class TestCluster {
  readonly nodes = new Map<string, ServerProcess>();
  private readonly ports = new Map<string, number>();

  private constructor(readonly tmp: string, readonly redis: RedisProcess, private readonly env: Record<string, string>) {}

  static async create(options: { leaseMs?: number } = {}): Promise<TestCluster> {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-cluster-'));
    const redis = await startRedis();
    const configFile = path.join(tmp, 'config.json');
    await writeFile(configFile, JSON.stringify({
      adapters: { order: ['command', 'codex', 'claude', 'gemini'], adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } } },
      sessions: { maxParallel: 4, taskTimeoutMs: 60_000, maxRetries: 1 },
    }));
    return new TestCluster(tmp, redis, {
      THALOGOS_ADMIN_TOKEN: CLUSTER_ADMIN,
      THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'),
      THALOGOS_CONFIG: configFile,
      THALOGOS_LOG_LEVEL: 'error',
      THALOGOS_REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      THALOGOS_LEASE_MS: String(options.leaseMs ?? 3_000),
    });
  }

  /** Starts node `id` (again, on its old port and data dir, after a kill). */
  async start(id: string): Promise<ServerProcess> {
    const port = this.ports.get(id) ?? (await freePort());
    this.ports.set(id, port);
    const node = await startServerProcess({ ...this.env, THALOGOS_NODE_ID: id, THALOGOS_DATA_DIR: path.join(this.tmp, `data-${id}`) }, port);
    this.nodes.set(id, node);
    return node;
  }

  url(id: string): string {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`node ${id} is not running`);
    return node.url;
  }

  /** JSON client on one node (admin token unless another is given). */
  api(id: string, token: string = CLUSTER_ADMIN): ReturnType<typeof apiClient> {
    return apiClient(this.url(id), token);
  }

  newRepo(name: string): string {
    return makeRepo(path.join(this.tmp, 'repos', name));
  }

  async kill9(id: string): Promise<void> {
    await this.nodes.get(id)?.kill9();
    this.nodes.delete(id);
  }

  output(): string {
    return [...this.nodes.entries()].map(([id, node]) => `--- ${id}\n${node.output()}`).join('\n');
  }

  async dispose(): Promise<void> {
    for (const node of this.nodes.values()) await node.kill9().catch(() => undefined);
    await this.redis.stop();
    await rm(this.tmp, { recursive: true, force: true });
  }
}
