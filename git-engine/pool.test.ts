import { describe, expect, it } from 'vitest';
import { deserializeError, GitEngineError, serializeError } from './errors.js';
import { GitWorkerPool, workerLocation } from './pool.js';

describe('worker pool', () => {
  it('resolves worker.ts (via tsx) from sources and worker.js from the build', () => {
    const src = workerLocation('file:///x/git-engine/pool.ts');
    expect(src.filename).toBe('file:///x/git-engine/worker.ts');
    expect(src.execArgv.join(' ')).toMatch(/--import tsx|--import \S*tsx/);
    const dist = workerLocation('file:///x/dist/git-engine/pool.js');
    expect(dist.filename).toBe('file:///x/dist/git-engine/worker.js');
  });

  it('rebuilds errors thrown in the worker as GitEngineError with the same code and data', async () => {
    const pool = new GitWorkerPool({ minThreads: 1, maxThreads: 1 });
    try {
      const err = await pool.run({ op: 'inspectRepository', repoPath: '/definitely/not/a/repo', ctx: {} as never, args: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitEngineError);
      expect((err as GitEngineError).code).toBe('NOT_A_REPOSITORY');
      expect((err as GitEngineError).data).toEqual({ repoPath: '/definitely/not/a/repo' });
      const unknown = await pool.run({ op: 'nope' as never, repoPath: '/', ctx: {} as never, args: {} }).catch((e: unknown) => e);
      expect((unknown as GitEngineError).code).toBe('WORKER_FAILED');
    } finally {
      await pool.close();
    }
  });

  it('serialises errors to plain JSON and back', () => {
    const e = new GitEngineError('MAIN_MOVED', 'moved', { a: 1 });
    const back = deserializeError(JSON.parse(JSON.stringify(e)));
    expect(back).toMatchObject({ name: 'GitEngineError', code: 'MAIN_MOVED', message: 'moved', data: { a: 1 } });
    expect(serializeError(new TypeError('boom'))).toMatchObject({ code: 'WORKER_FAILED', message: 'TypeError: boom' });
  });
});
