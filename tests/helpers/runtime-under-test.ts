import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiClient } from '../../runtime/cli/api-client.js';
import { apiClient } from './api.js';
import { makeRepo } from './git-repo.js';
import { freePort, startServerProcess, type ServerProcess } from './server-process.js';

export const PROPTEST_ADMIN = 'proptest-admin-token-0123456789abcdef';

/**
 * The real runtime as a child process on one data dir, killed with -9 and started again on the
 * same dir. The language-model adapters stay in the agent order but are disabled, so only the
 * `command` agent runs (no LLM, no CLI handshakes at start) and a conflict handed to an agent
 * fails its task, as it does when no agent is signed in.
 */
export class RuntimeUnderTest {
  private server: ServerProcess | null = null;
  /** Every repository a session was created on, checked with `git fsck` after each restart. */
  readonly repos: string[] = [];
  restarts = 0;

  private constructor(readonly tmp: string, private readonly port: number, private readonly env: Record<string, string>) {}

  static async create(prefix = 'thalogos-proptest-'): Promise<RuntimeUnderTest> {
    const tmp = await mkdtemp(path.join(os.tmpdir(), prefix));
    const configFile = path.join(tmp, 'config.json');
    await writeFile(configFile, JSON.stringify({
      adapters: {
        order: ['command', 'codex', 'claude', 'gemini'],
        adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } },
      },
      // No transient failures are expected from `sh`; a small retry budget keeps a bad run short.
      sessions: { maxParallel: 4, taskTimeoutMs: 60_000, maxRetries: 1 },
    }));
    const env = {
      THALOGOS_ADMIN_TOKEN: PROPTEST_ADMIN,
      THALOGOS_DATA_DIR: path.join(tmp, 'data'),
      THALOGOS_REPO_ROOTS: path.join(tmp, 'repos'),
      THALOGOS_CONFIG: configFile,
      THALOGOS_LOG_LEVEL: 'error',
    };
    return new RuntimeUnderTest(tmp, await freePort(), env);
  }

  get url(): string {
    if (!this.server) throw new Error('the runtime is not running');
    return this.server.url;
  }

  get running(): boolean {
    return this.server !== null;
  }

  /** JSON helper with the admin token (status + body, never throws on HTTP errors). */
  get api(): ReturnType<typeof apiClient> {
    return apiClient(this.url, PROPTEST_ADMIN);
  }

  /** The CLI's own client, for `replaySession`. */
  get client(): ApiClient {
    return new ApiClient(this.url, PROPTEST_ADMIN);
  }

  get cliEnv(): Record<string, string> {
    return { THALOGOS_URL: this.url, THALOGOS_TOKEN: PROPTEST_ADMIN };
  }

  /** Starts (or restarts) `thalogos serve` on the same data dir and port; throws with its output if it cannot. */
  async start(): Promise<void> {
    if (this.server) throw new Error('already running');
    this.server = await startServerProcess(this.env, this.port);
  }

  async kill9(): Promise<void> {
    await this.server?.kill9();
    this.server = null;
  }

  async restart(): Promise<void> {
    await this.kill9();
    this.restarts += 1;
    await this.start();
  }

  output(): string {
    return this.server?.output() ?? '';
  }

  newRepo(name: string, files: Record<string, string> = {}): string {
    const repo = makeRepo(path.join(this.tmp, 'repos', name), files);
    this.repos.push(repo);
    return repo;
  }

  async dispose(): Promise<void> {
    await this.kill9();
    await rm(this.tmp, { recursive: true, force: true });
  }
}
