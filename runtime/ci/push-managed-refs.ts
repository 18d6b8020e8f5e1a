// CI on the branches Thalogos manages: when a task branch, the integration branch, the base branch
// or a checkpoint moves, the moved refs are pushed to the remote `.thalogos.json` names (`ci.remote`,
// a remote configured in the repository: its URL and credentials stay git's, never Thalogos's), so
// the CI watching that remote runs on them (release/{env} branches too, as promotions move them). Pushes use native `git push` (isomorphic-git pushes
// over HTTP only, and a remote may be ssh or a path); one at a time per repository.
import { execFile } from 'node:child_process';
import type { Logger } from 'pino';
import { CI_PUSHED } from '../../contracts/index.js';
import type { GitEngine } from '../../git-engine/index.js';
import { SYSTEM_ACTOR, type LogEntry } from '../log/log-entry.js';
import type { SessionHost } from '../sessions/session-host.js';
import { repoTarget } from '../sessions/session-meta.js';

const PUSH_TIMEOUT_MS = 120_000;

/** The refs an applied entry moved, as full ref names; none for entries that move nothing. */
export function movedRefs(host: SessionHost, entry: LogEntry): string[] {
  const data = entry.data as Record<string, any>;
  const sid = host.id;
  const base = host.meta.baseBranch ?? null;
  switch (entry.type) {
    case 'TASK.COMMITTED':
      return data.commit ? [`refs/heads/session/${sid}/task/${data.taskId}`] : [];
    case 'TASK.CONFLICT_RESOLVED':
      return [`refs/heads/session/${sid}/task/${data.taskId}`];
    case 'SAVE.COMPLETED': {
      const result = data.result as { status: string; tag?: string };
      if (result.status === 'published') return [`refs/heads/${base ?? 'MAIN'}`, `refs/heads/session/${sid}/integration`, `refs/tags/${result.tag}`];
      return result.status === 'gates_failed' ? [`refs/heads/session/${sid}/integration`] : [];
    }
    case 'ROLLBACK.COMPLETED': {
      const result = data.result as { status: string; branch?: string | null };
      if (result.status !== 'completed') return [];
      return [result.branch ? `refs/heads/${result.branch}` : `refs/heads/${base ?? 'MAIN'}`];
    }
    case 'PROMOTION.COMPLETED': {
      const result = data.result as { status: string; environment?: string };
      return result.status === 'promoted' && result.environment ? [`refs/heads/release/${result.environment}`] : [];
    }
    case 'ENVIRONMENT.ROLLED_BACK':
      // Moved backwards on purpose: the remote's copy must follow (see the forced refspec below).
      return [`+refs/heads/release/${data.environment}`];
    default:
      return [];
  }
}

export interface PushDeps {
  engine: GitEngine;
  logger: Logger;
  /** Runs `git` (tests may wrap it); default: native git with prompts off. */
  git?: (args: string[], cwd: string) => Promise<{ stdout: string; stderr: string }>;
}

export class ManagedRefPusher {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly git: NonNullable<PushDeps['git']>;

  constructor(private readonly deps: PushDeps) {
    this.git = deps.git ?? nativeGit;
  }

  onApplied(host: SessionHost, entry: LogEntry): void {
    const refs = movedRefs(host, entry);
    if (refs.length === 0) return;
    const key = host.meta.repoPath;
    const next = (this.queues.get(key) ?? Promise.resolve()).then(() => this.push(host, refs, entry.seq));
    this.queues.set(key, next.catch(() => undefined));
  }

  /** Every push queued so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  private async push(host: SessionHost, refs: string[], seq: number): Promise<void> {
    let remote: string | undefined;
    let mainBranch: string;
    try {
      const target = repoTarget(host.meta);
      remote = (await this.deps.engine.repoConfig(target)).ci.remote;
      if (!remote) return;
      mainBranch = (await this.deps.engine.inspectRepository(target.repoPath, target.baseBranch)).mainBranch;
    } catch (error) {
      // No config, or a malformed one: nothing to push to (the Save reports a bad config itself).
      this.deps.logger.debug({ err: error, sessionId: host.id }, 'ci: no remote to push to');
      return;
    }
    const resolved = refs.map((ref) => ref.replace('refs/heads/MAIN', `refs/heads/${mainBranch}`));
    // `+ref`: a ref Thalogos moved backwards on purpose (an environment rollback) is forced.
    const refspecs = resolved.map((ref) => (ref.startsWith('+') ? `${ref}:${ref.slice(1)}` : `${ref}:${ref}`));
    let outcome: { ok: boolean; error?: string };
    try {
      await this.git(['push', '--porcelain', remote, ...refspecs], host.meta.repoPath);
      outcome = { ok: true };
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message?: string };
      outcome = { ok: false, error: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().slice(-2000) || (e.message ?? String(error)) };
      this.deps.logger.warn({ sessionId: host.id, remote, refs: resolved, error: outcome.error }, 'ci: push to the remote failed');
    }
    await host.audit(CI_PUSHED, { remote, refs: resolved, afterSeq: seq, ...outcome }, SYSTEM_ACTOR).catch(() => undefined);
  }
}

function nativeGit(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, timeout: PUSH_TIMEOUT_MS, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
  });
}
