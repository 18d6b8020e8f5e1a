import { classifyEntry, parseActorEvent } from '../../contracts/index.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaySession } from '../../runtime/cli/replay.js';
import { waitFor } from './api.js';
import { deepDiff, formatDifferences } from './deep-diff.js';
import { git } from './git-repo.js';
import type { RuntimeUnderTest } from './runtime-under-test.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Task states in which work is still under way (the view will change without any command). */
const BUSY_TASK = new Set(['queued', 'preparing', 'running', 'retry_wait', 'committing']);

/**
 * Fields of the session view that may legitimately differ between the live actor and a replay of
 * its log. Deliberately empty: the view is a pure function of the logged events (describeSession
 * reads nothing but the snapshot, and replay feeds the same events to the same machines), so every
 * field, in-flight runs' `state` included, must be equal. Add a path here only with the reason.
 */
export const LIVE_ONLY_FIELDS: ReadonlyArray<{ pattern: RegExp; reason: string }> = [];

export function isSettled(view: any): boolean {
  return (
    ['idle', 'active', 'awaiting_review'].includes(view.status) &&
    view.pendingSave === null &&
    view.pendingRollback === null &&
    view.tasks.every((task: { status: string }) => !BUSY_TASK.has(task.status))
  );
}

/** Waits until no work is under way in the session (bounded); returns the settled view. */
export async function settle(rt: RuntimeUnderTest, sid: string, timeoutMs = 30_000): Promise<any> {
  return waitFor(async () => {
    const response = await rt.api('GET', `/api/sessions/${sid}`);
    return response.status === 200 && isSettled(response.body) ? response.body : null;
  }, { what: `session ${sid} to settle`, timeoutMs, intervalMs: 100 });
}

async function head(rt: RuntimeUnderTest, sid: string): Promise<number> {
  const response = await rt.api('GET', `/api/sessions/${sid}/events?after=0&limit=1`);
  if (response.status !== 200) throw new Error(`GET events of ${sid}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
  return response.body.head as number;
}

/**
 * The live view and the log head it reflects, read so that nothing was applied in between (the
 * head before and after the view are equal), then the log replayed up to that head with the very
 * function `thalogos replay` runs. Returns the differing field paths (empty when equal).
 */
export async function compareLiveWithReplay(rt: RuntimeUnderTest, sid: string): Promise<{ seq: number; differences: string | null }> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const before = await head(rt, sid);
    const live = await rt.api('GET', `/api/sessions/${sid}`);
    const after = await head(rt, sid);
    if (live.status !== 200) throw new Error(`GET /api/sessions/${sid}: HTTP ${live.status} ${JSON.stringify(live.body).slice(0, 500)}`);
    if (before !== after) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    // The log's own shape first: an entry whose data is not the event it names cannot be replayed
    // (feeding it to xstate throws later, from a timer), so it is reported by seq and type instead.
    const unreplayable = await entriesReplayCannotApply(rt, sid);
    if (unreplayable.length > 0) return { seq: before, differences: `  the session's log holds entries replay cannot apply (a restart replays them all): ${unreplayable.join('; ')}` };
    const replayed = await replaySession(rt.client, sid, before);
    const differences = deepDiff(replayed.state, live.body).filter((d) => !LIVE_ONLY_FIELDS.some((field) => field.pattern.test(d.path)));
    return { seq: before, differences: differences.length === 0 ? null : formatDifferences(differences, 'replay', 'live') };
  }
  throw new Error(`session ${sid} never held still long enough to read its view and head together`);
}

/**
 * Entries a restart could not apply: actor events whose `data` is not a valid event of their own
 * `type`, and entries of a type this version does not know (audit records are never applied).
 * All of the session's entries, also those after the live head: a restart replays every one.
 */
async function entriesReplayCannotApply(rt: RuntimeUnderTest, sid: string): Promise<string[]> {
  const response = await rt.api('GET', `/api/sessions/${sid}/events?after=0&limit=10000`);
  if (response.status !== 200) throw new Error(`GET events of ${sid}: HTTP ${response.status}`);
  return (response.body.events as Array<{ seq: number; type: string; kind?: 'actor' | 'audit'; data: unknown }>)
    .filter((entry) => {
      const kind = classifyEntry(entry);
      return kind === 'unknown' || (kind === 'actor' && !parseActorEvent(entry).ok);
    })
    .map((entry) => `seq ${entry.seq} ${entry.type} (data.type ${JSON.stringify((entry.data as { type?: unknown } | null)?.type)})`);
}

/** `thalogos replay SID` as a user runs it (a real CLI process), compared with the live view. */
export async function cliReplay(rt: RuntimeUnderTest, sid: string): Promise<{ seq: number; state: unknown }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'runtime/cli/run.ts'), 'replay', sid, '--json'], {
    cwd: ROOT, env: { ...process.env, ...rt.cliEnv }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000,
  });
  return JSON.parse(stdout) as { seq: number; state: unknown };
}

/**
 * What must hold after every restart (and at the end of each sequence): the server serves, every
 * session settles and its replay equals the live view, the audit chain verifies, and every
 * repository passes `git fsck --strict`. Returns the problems found, each naming its session.
 */
export async function checkRuntime(rt: RuntimeUnderTest, sessions: readonly string[], options: { settleMs?: number } = {}): Promise<string[]> {
  const problems: string[] = [];
  const health = await rt.api('GET', '/healthz').catch((error: Error) => ({ status: 0, body: error.message }));
  if (health.status !== 200) return [`/healthz answered ${health.status}: ${JSON.stringify(health.body).slice(0, 300)}`];
  const list = await rt.api('GET', '/api/sessions');
  if (list.status !== 200) return [`GET /api/sessions answered ${list.status}: ${JSON.stringify(list.body).slice(0, 300)}`];
  const listed = new Set((list.body.sessions as Array<{ id: string }>).map((session) => session.id));
  for (const sid of sessions) {
    if (!listed.has(sid)) {
      problems.push(`session ${sid}: missing from GET /api/sessions`);
      continue;
    }
    try {
      await settle(rt, sid, options.settleMs ?? 30_000);
    } catch (error) {
      problems.push(`session ${sid}: ${(error as Error).message.slice(0, 1500)}`);
      continue;
    }
    try {
      const { seq, differences } = await compareLiveWithReplay(rt, sid);
      if (differences) problems.push(`session ${sid}: replay up to seq ${seq} differs from the live view:\n${differences}`);
    } catch (error) {
      problems.push(`session ${sid}: replay failed: ${(error as Error).message.slice(0, 1500)}`);
    }
  }
  const audit = await rt.api('GET', '/api/audit/verify');
  if (audit.status !== 200 || audit.body.ok !== true) problems.push(`audit verify: HTTP ${audit.status} ${JSON.stringify(audit.body).slice(0, 500)}`);
  for (const repo of rt.repos) {
    try {
      git(repo, 'fsck', '--strict', '--no-progress');
    } catch (error) {
      problems.push(`git fsck --strict ${repo}: ${String((error as { stderr?: string }).stderr ?? error).slice(0, 800)}`);
    }
  }
  return problems;
}
