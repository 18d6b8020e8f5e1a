import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../../adapters/index.js';
import type { GateSpawner } from '../../git-engine/index.js';
import type { LiveProcessGroups } from './live-process-groups.js';
import { removeRunFile, writeRunFile } from './run-files.js';

/** The dependency cache every task's setup shares: `<data dir>/cache/setup`. */
export function setupCacheDir(dataDir: string): string {
  return path.join(dataDir, 'cache', 'setup');
}

/**
 * Package managers' caches, pointed at the shared cache directory (the only writable place a
 * setup has besides its worktree and a private /tmp: HOME is read-only in the sandbox). npm's
 * cache is content-addressed and checked against the lockfile's integrity hashes, so what one
 * task's setup put there cannot pass for another package in the next task.
 */
export function setupCacheEnv(cacheDir: string): Record<string, string> {
  return {
    npm_config_cache: path.join(cacheDir, 'npm'),
    YARN_CACHE_FOLDER: path.join(cacheDir, 'yarn'),
    PIP_CACHE_DIR: path.join(cacheDir, 'pip'),
    XDG_CACHE_HOME: path.join(cacheDir, 'xdg'),
  };
}

/**
 * How a task's setup commands start: in the agents' sandbox (the commands come from the
 * repository, as untrusted as an agent), with network (installers download), the shared cache
 * bound writable, and recorded in `<data dir>/runs/` so a restart after kill -9 kills a setup left
 * behind. The worktree is `<data dir>/worktrees/<session>/<task>`.
 */
export function recordedSetupSpawner(dataDir: string, sandbox: Sandbox, live?: LiveProcessGroups): GateSpawner {
  const cacheDir = setupCacheDir(dataDir);
  return (gate) => {
    const taskId = path.basename(gate.cwd);
    const sessionId = path.basename(path.dirname(gate.cwd));
    const runId = `setup-${randomUUID()}`;
    mkdirSync(cacheDir, { recursive: true });
    // Throws SANDBOX_UNAVAILABLE without bubblewrap: the setup fails instead of running unconfined.
    const boxed = sandbox.wrap({
      runKey: runId,
      command: { bin: 'sh', args: ['-c', gate.command], env: { ...gate.env, ...setupCacheEnv(cacheDir) }, cwd: gate.cwd },
      network: true,
      stateDirs: [cacheDir],
    });
    return {
      bin: boxed.command.bin, args: boxed.command.args, cwd: boxed.command.cwd, env: boxed.command.env,
      started: (pid) => {
        writeRunFile(dataDir, { kind: 'setup', runId, sessionId, taskId, pid });
        live?.add(runId, sessionId, pid);
      },
      finished: async () => {
        live?.remove(runId);
        await boxed.release();
        removeRunFile(dataDir, runId);
      },
    };
  };
}
