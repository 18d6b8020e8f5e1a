// The Piscina pool that runs worker.ts. From TypeScript sources (vitest, tsx) the worker is
// `worker.ts` next to this module, loaded through tsx; from the compiled build it is `worker.js`.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { deserializeError, GitEngineError } from './errors.js';
import type { WorkerReply, WorkerTask } from './worker.js';

export interface PoolOptions { minThreads?: number; maxThreads?: number; idleTimeout?: number }

export function workerLocation(moduleUrl: string = import.meta.url): { filename: string; execArgv: string[] } {
  const fromSource = fileURLToPath(moduleUrl).endsWith('.ts');
  const filename = new URL(fromSource ? './worker.ts' : './worker.js', moduleUrl).href;
  const hasTsx = process.execArgv.some((a, i, all) => (a === '--import' || a === '--loader') && /tsx/.test(all[i + 1] ?? ''));
  const execArgv = fromSource && !hasTsx ? [...process.execArgv, '--import', 'tsx'] : [...process.execArgv];
  return { filename, execArgv };
}

export class GitWorkerPool {
  private readonly pool: Piscina;

  constructor(opts: PoolOptions = {}) {
    const { filename, execArgv } = workerLocation();
    const minThreads = Math.max(1, opts.minThreads ?? 1);
    this.pool = new Piscina({
      filename,
      execArgv,
      minThreads,
      maxThreads: Math.max(minThreads, opts.maxThreads ?? 2),
      // Non-zero so a warm worker survives between operations (cold start is ~55 ms).
      idleTimeout: opts.idleTimeout ?? 30_000,
    });
  }

  async run<T>(task: WorkerTask): Promise<T> {
    let reply: WorkerReply;
    try {
      reply = (await this.pool.run(task)) as WorkerReply;
    } catch (err) {
      throw new GitEngineError('WORKER_FAILED', `git worker failed: ${(err as Error).message}`);
    }
    if (!reply.ok) throw deserializeError(reply.error);
    return reply.value as T;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
