import { describe, expect, it } from 'vitest';
import type { TaskView } from '../../contracts/index.js';
import { DEFAULT_BRANCH_RETENTION, pruneCandidates } from './branch-retention.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-01-10T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** The fields the policy reads; the rest of a view does not matter to it. */
function task(id: string, status: TaskView['status'], ended: Partial<Pick<TaskView, 'merged' | 'closed' | 'runs'>> = {}): TaskView {
  return { id, status, createdAt: iso(T0 - DAY), merged: null, closed: null, runs: [], ...ended } as unknown as TaskView;
}
const run = (endedAt: string | null) => ({ endedAt }) as TaskView['runs'][number];

describe('pruneCandidates (git.pruneTaskBranches)', () => {
  const tasks = [
    task('m', 'merged', { merged: { saveId: 'v', tag: 'checkpoint/x', at: iso(T0) } }),
    task('c', 'cancelled', { closed: { by: 'p', at: iso(T0), reason: null } }),
    task('r', 'rejected', { closed: { by: 'p', at: iso(T0 - 2 * DAY), reason: 'no' } }),
    task('f', 'failed', { runs: [run(iso(T0 - 9 * DAY)), run(iso(T0 - 8 * DAY)), run(null)] }),
    task('w', 'failed'),
    task('q', 'queued'),
    task('v', 'ready_for_review'),
    task('i', 'interrupted'),
  ];

  it('by default: merged due at once, abandoned 7 days after they ended; live tasks are no candidates', () => {
    const out = pruneCandidates(DEFAULT_BRANCH_RETENTION, tasks, new Date(T0));
    expect(out).toEqual([
      { taskId: 'm', status: 'merged', prune: true, dueAt: iso(T0) },
      { taskId: 'c', status: 'cancelled', prune: false, dueAt: iso(T0 + 7 * DAY) },
      { taskId: 'r', status: 'rejected', prune: false, dueAt: iso(T0 + 5 * DAY) },
      // The last run's end counts.
      { taskId: 'f', status: 'failed', prune: true, dueAt: iso(T0 - DAY) },
      // No run ever ended (its worktree failed): from its creation.
      { taskId: 'w', status: 'failed', prune: false, dueAt: iso(T0 + 6 * DAY) },
    ]);
    expect(pruneCandidates(DEFAULT_BRANCH_RETENTION, tasks, new Date(T0 + 7 * DAY)).filter((c) => c.prune).map((c) => c.taskId)).toEqual(['m', 'c', 'r', 'f', 'w']);
  });

  it("'never' is never due, a number of days counts from the end, 0 is at once", () => {
    const never = pruneCandidates({ merged: 'never', abandoned: 'never' }, tasks, new Date(T0 + 3650 * DAY));
    expect(never.every((c) => !c.prune && c.dueAt === null)).toBe(true);
    const days = pruneCandidates({ merged: 2, abandoned: 0 }, tasks, new Date(T0 + DAY));
    expect(days.map((c) => [c.taskId, c.prune])).toEqual([['m', false], ['c', true], ['r', true], ['f', true], ['w', true]]);
  });

  it('an unreadable end time keeps the branch', () => {
    const odd = [task('x', 'cancelled', { closed: { by: 'p', at: 'not a date', reason: null } })];
    expect(pruneCandidates({ merged: 'after-save', abandoned: 0 }, odd, new Date(T0))).toEqual([{ taskId: 'x', status: 'cancelled', prune: false, dueAt: null }]);
  });
});
