import type { ApiResponse } from './api.js';
import { waitFor } from './api.js';
import { checkRuntime, compareLiveWithReplay, settle } from './replay-oracle.js';
import type { RuntimeUnderTest } from './runtime-under-test.js';
import { describeOp, taskPrompt, type SessionOp } from './session-ops.js';

/** A violated property after which the sequence cannot go on (the server is down, replay differs). */
export class SequenceFailure extends Error {
  override readonly name = 'SequenceFailure';
  constructor(readonly opIndex: number, readonly sessionId: string, message: string, readonly violations: string[] = []) {
    super(message);
  }
}

const FINAL_TASK = new Set(['merged', 'rejected', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface OpenConflict {
  taskId: string;
  files: Array<{ path: string; hunks: unknown[] }>;
}

function openConflict(view: any): OpenConflict | null {
  const result = view.lastSave?.result;
  if (view.status !== 'awaiting_review' || result?.status !== 'conflict' || !result.report) return null;
  return result.report as OpenConflict;
}

function taskStatusOf(view: any, taskId: string): string {
  return (view.tasks as Array<{ id: string; status: string }>).find((task) => task.id === taskId)?.status ?? 'missing';
}

export interface SequenceOutcome {
  sessionId: string;
  /** Wrong answers the sequence went on after (each names its op): a refused command, a Save error. */
  violations: string[];
}

/**
 * Runs one generated sequence on a new session of `rt` (its own repository). After every kill -9
 * the runtime is started again on the same data dir and every session it holds (`allSessions`)
 * is checked. Wrong answers are recorded and the sequence goes on; a broken property after which
 * it cannot (the server does not start, replay differs, the session never settles) throws a
 * SequenceFailure.
 */
export async function runSequence(rt: RuntimeUnderTest, ops: readonly SessionOp[], name: string, allSessions: string[]): Promise<SequenceOutcome> {
  const repo = rt.newRepo(name);
  const created = await rt.api('POST', '/api/sessions', { repoPath: repo, title: name });
  if (created.status !== 201) throw new SequenceFailure(-1, '-', `POST /api/sessions answered ${created.status}: ${JSON.stringify(created.body)}`);
  const sid = created.body.id as string;
  allSessions.push(sid);
  let taskCounter = 0;
  let index = -1;
  const violations: string[] = [];
  const trace = process.env.THALOGOS_PROPTEST_TRACE === '1';
  const fail = (message: string): never => {
    throw new SequenceFailure(index, sid, message, violations);
  };
  const violation = (message: string): void => {
    violations.push(`${index < ops.length ? `op #${index} ${describeOp(ops[index]!)}` : 'after the last op'}: ${message}`);
  };
  const view = async (): Promise<any> => {
    const response = await rt.api('GET', `/api/sessions/${sid}`);
    if (response.status !== 200) fail(`GET /api/sessions/${sid} answered ${response.status}: ${JSON.stringify(response.body).slice(0, 500)}`);
    return response.body;
  };
  /** Every answer is one of the expected (status, code) pairs (a 5xx never is); a wrong one is recorded. */
  const expectAnswer = (what: string, response: ApiResponse, allowed: Array<[number, string?]>): boolean => {
    const code = response.body?.error?.code as string | undefined;
    if (allowed.some(([status, expected]) => response.status === status && (expected === undefined || expected === code))) return true;
    const shown = response.body?.error ?? (response.body?.session ? { ...response.body, session: `<view, status ${response.body.session.status}>` } : response.body);
    violation(`${what} answered ${response.status} ${JSON.stringify(shown).slice(0, 600)}; expected ${allowed.map(([status, c]) => `${status}${c ? ` ${c}` : ''}`).join(' or ')}`);
    return false;
  };
  const settled = async (): Promise<any> => {
    try {
      return await settle(rt, sid);
    } catch (error) {
      return fail((error as Error).message.slice(0, 2000));
    }
  };
  const restartAndCheck = async (): Promise<void> => {
    const before = rt.output();
    const t0 = Date.now();
    try {
      await rt.restart();
    } catch (error) {
      fail(`the server did not start again after kill -9: ${(error as Error).message.slice(-3000)}\n(output before the kill, tail: ${before.slice(-1500)})`);
    }
    const t1 = Date.now();
    const problems = await checkRuntime(rt, allSessions);
    if (trace) process.stderr.write(` (restart ${t1 - t0}ms, checks ${Date.now() - t1}ms)`);
    if (problems.length > 0) fail(`after the restart:\n${problems.join('\n')}`);
  };
  const post = (path: string, body: unknown) => rt.api('POST', `/api/sessions/${sid}${path}`, body);

  let opStarted = Date.now();
  for (index = 0; index < ops.length; index += 1) {
    const op = ops[index]!;
    if (trace) {
      if (index > 0) process.stderr.write(` ${Date.now() - opStarted}ms\n`);
      opStarted = Date.now();
      process.stderr.write(`[${name} ${sid}] #${index} ${describeOp(op)}`);
    }
    switch (op.kind) {
      case 'add': {
        taskCounter += 1;
        const response = await post('/tasks', { agent: 'command', prompt: taskPrompt(op, taskCounter) });
        expectAnswer(describeOp(op), response, [[202], [409, 'SESSION_BUSY']]);
        break;
      }
      case 'cancel':
      case 'reject': {
        const tasks = (await view()).tasks as Array<{ id: string; status: string }>;
        const preferred = tasks.filter((task) => (op.kind === 'cancel' ? !FINAL_TASK.has(task.status) : task.status === 'ready_for_review'));
        const pool = preferred.length > 0 ? preferred : tasks;
        if (pool.length === 0) break;
        const task = pool[op.pick % pool.length]!;
        const response = await post(`/tasks/${task.id}/${op.kind}`, {});
        expectAnswer(`${describeOp(op)} of ${task.id} (${task.status})`, response, [[202], [409, 'INVALID_STATE']]);
        break;
      }
      case 'save': {
        const current = op.settleFirst ? await settled() : await view();
        // Nothing ready and nothing that could become ready: the Save must be refused up front.
        const empty =
          ['idle', 'active', 'awaiting_review'].includes(current.status) &&
          current.pendingRollback === null &&
          current.tasks.every((task: { status: string }) => FINAL_TASK.has(task.status));
        const response = await post('/save', {});
        if (empty) {
          // Today the empty Save is taken (202) and ends in error: record it, let it finish, go on.
          if (!expectAnswer('a Save with no task to save', response, [[409, 'NOTHING_TO_SAVE']]) && response.status === 202) await settled();
          break;
        }
        expectAnswer(describeOp(op), response, [[202], [409, 'SAVE_IN_PROGRESS'], [409, 'ROLLBACK_IN_PROGRESS'], [409, 'NOTHING_TO_SAVE']]);
        if (response.status !== 202) break;
        const saveId = response.body.saveId as string;
        if (op.then === 'kill') {
          await sleep(op.killAfterMs);
          await restartAndCheck();
        } else if (op.then === 'wait') {
          const done = await settled();
          const record = (done.timeline as Array<{ kind: string; saveId?: string; result?: any }>).find((entry) => entry.kind === 'save' && entry.saveId === saveId);
          if (!record) fail(`Save ${saveId} never completed (timeline: ${JSON.stringify(done.timeline).slice(0, 500)})`);
          if (record?.result?.status === 'error') violation(`Save ${saveId} ended in error: ${JSON.stringify(record.result.error).slice(0, 600)}`);
        }
        break;
      }
      case 'resolve': {
        const current = await view();
        const conflict = openConflict(current);
        if (!conflict) {
          const response = await post('/conflicts/resolve', { resolutions: [{ path: 'a.txt', hunk: 0, side: 'ours' }] });
          expectAnswer(`${describeOp(op)} with no open conflict`, response, [[409, 'INVALID_STATE']]);
          break;
        }
        const resolutions = conflict.files.flatMap((file) =>
          file.hunks.length === 0
            ? [{ path: file.path, side: op.sides[0] ? 'theirs' : 'ours' }]
            : file.hunks.map((_, hunk) => ({ path: file.path, hunk, side: op.sides[hunk % op.sides.length] ? 'theirs' : 'ours' })),
        );
        const response = await post('/conflicts/resolve', { taskId: conflict.taskId, resolutions });
        // Once the conflicting task was sent back to work, failed or closed, the report is stale.
        const taskStatus = taskStatusOf(current, conflict.taskId);
        // A conflict already resolved (the task branch moved past the report) is refused as stale.
        const saveId = (current as { lastSave?: { saveId?: string } }).lastSave?.saveId;
        const resolvedAlready = ((current as { timeline?: Array<{ kind: string; taskId?: string; saveId?: string }> }).timeline ?? [])
          .some((entry) => entry.kind === 'conflict_resolved' && entry.taskId === conflict.taskId && entry.saveId === saveId);
        const expected: Array<[number] | [number, string]> = resolvedAlready ? [[409, 'STALE_CONFLICT']] : taskStatus === 'ready_for_review' ? [[200]] : [[200], [409, 'INVALID_STATE']];
        expectAnswer(`${describeOp(op)} of task ${conflict.taskId} (${taskStatus})`, response, expected);
        if (op.thenKill) await restartAndCheck();
        break;
      }
      case 'delegate': {
        const current = await view();
        const conflict = openConflict(current);
        const taskStatus = conflict ? taskStatusOf(current, conflict.taskId) : null;
        const response = await post('/conflicts/delegate', {});
        // A conflict people already resolved is stale: nothing is left to hand to an agent.
        const saveId = (current as { lastSave?: { saveId?: string } }).lastSave?.saveId;
        const resolvedAlready = conflict !== null && ((current as { timeline?: Array<{ kind: string; taskId?: string; saveId?: string }> }).timeline ?? [])
          .some((entry) => entry.kind === 'conflict_resolved' && entry.taskId === conflict.taskId && entry.saveId === saveId);
        const expected: Array<[number] | [number, string]> = resolvedAlready ? [[409, 'STALE_CONFLICT']] : taskStatus === 'ready_for_review' ? [[202]] : [[409, 'INVALID_STATE']];
        expectAnswer(`${describeOp(op)}${conflict ? ` of task ${conflict.taskId} (${taskStatus})` : ' with no open conflict'}`, response, expected);
        break;
      }
      case 'rollback': {
        const listed = await rt.api('GET', `/api/sessions/${sid}/checkpoints`);
        expectAnswer('GET checkpoints', listed, [[200]]);
        const checkpoints = listed.body.checkpoints as Array<{ tag: string }>;
        if (checkpoints.length === 0) {
          const response = await post('/rollback', { checkpoint: 'checkpoint/2000-01-01-1', mode: op.mode });
          expectAnswer(`${describeOp(op)} of a missing checkpoint`, response, [[404, 'CHECKPOINT_NOT_FOUND']]);
          break;
        }
        const checkpoint = checkpoints[op.pick % checkpoints.length]!.tag;
        const response = await post('/rollback', { checkpoint, mode: op.mode });
        expectAnswer(`${describeOp(op)} to ${checkpoint}`, response, [[202], [409, 'ROLLBACK_IN_PROGRESS']]);
        if (response.status !== 202) break;
        const rollbackId = response.body.rollbackId as string;
        const done = await waitFor(async () => {
          const body = await view();
          return body.pendingRollback === null ? body : null;
        }, { what: `rollback ${rollbackId}`, timeoutMs: 30_000 }).catch((error: Error) => fail(error.message.slice(0, 1500)));
        const record = (done.timeline as Array<{ kind: string; rollbackId?: string; result?: any }>).find((entry) => entry.kind === 'rollback' && entry.rollbackId === rollbackId);
        if (record?.result?.status === 'error') violation(`rollback ${rollbackId} to ${checkpoint} (${op.mode}) ended in error: ${JSON.stringify(record.result.error)}`);
        break;
      }
      case 'resume': {
        const current = await view();
        const response = await post('/resume', {});
        expectAnswer(`${describeOp(op)} while ${current.status}`, response, current.status === 'awaiting_review' ? [[202]] : [[202], [409, 'INVALID_STATE']]);
        break;
      }
      case 'settle':
        await settled();
        break;
      case 'kill':
        await sleep(op.afterMs);
        await restartAndCheck();
        break;
    }
  }
  index = ops.length;
  if (trace) process.stderr.write(` ${Date.now() - opStarted}ms\n`);
  const final = await settled();
  // A task whose command succeeds must not end failed because of a restart (a stale lock, a lost
  // worktree): only the `failing` commands and conflicts handed to an absent agent may fail.
  for (const task of final.tasks as Array<{ id: string; status: string; prompt: string; error: unknown }>) {
    if (task.status !== 'failed' || task.prompt.startsWith("echo 'no luck") || task.prompt.includes('merge conflict')) continue;
    violation(`task ${task.id} (\`${task.prompt}\`) ended failed: ${JSON.stringify(task.error).slice(0, 600)}`);
  }
  const { seq, differences } = await compareLiveWithReplay(rt, sid);
  if (differences) fail(`at the end of the sequence, replay up to seq ${seq} differs from the live view:\n${differences}`);
  return { sessionId: sid, violations };
}
