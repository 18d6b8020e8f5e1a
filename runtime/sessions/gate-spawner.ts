import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Sandbox } from '../../adapters/index.js';
import type { GitEngineOptions } from '../../git-engine/index.js';
import type { LiveProcessGroups } from './live-process-groups.js';
import { removeRunFile, writeRunFile } from './run-files.js';

/**
 * How the engine starts a Save's gate processes: inside the agents' sandbox (a task branch can
 * rewrite `.thalogos.json`, so a gate is as untrusted as an agent), and recorded in `<data dir>/runs/`
 * like an agent run, so a restart after kill -9 kills a gate left behind before the next Save's
 * gates start in the same integration worktree.
 */
export function recordedGateSpawner(dataDir: string, sandbox: Sandbox, live?: LiveProcessGroups): NonNullable<GitEngineOptions['gateSpawner']> {
  return (gate) => {
    const runId = `gate-${randomUUID()}`;
    // Throws SANDBOX_UNAVAILABLE without bubblewrap: the Save fails instead of running gates unconfined.
    const boxed = sandbox.wrap({ runKey: runId, command: { bin: 'sh', args: ['-c', gate.command], env: gate.env, cwd: gate.cwd }, network: true });
    // The integration worktree is `<data dir>/worktrees/<session>/_integration`.
    const sessionId = path.basename(path.dirname(gate.cwd));
    return {
      bin: boxed.command.bin, args: boxed.command.args, cwd: boxed.command.cwd, env: boxed.command.env,
      started: (pid) => {
        writeRunFile(dataDir, { kind: 'gate', runId, sessionId, taskId: '_gates', pid });
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
