// Save under `requireApproval` (issue 13): only approved tasks merge, the others wait. The Save
// route refuses up front, before anything is logged, when that would leave nothing to merge or
// when a chosen task is not approved.
import type { SessionView, TaskView } from '../../contracts/index.js';
import { ApiError } from '../errors.js';

/** Approved as of the task's current commit. */
export function isApprovedTask(task: TaskView): boolean {
  return task.commit !== null && task.review.approved?.commit === task.commit;
}

/** A chosen task must be approved when the session requires approval. */
export function refuseUnapproved(view: SessionView, task: TaskView): void {
  if (!view.requireApproval || isApprovedTask(task)) return;
  throw new ApiError('TASK_NOT_APPROVED', `task ${task.id} is not approved; this session merges only approved tasks (approve it first)`, { taskId: task.id });
}

/** Ready work, none of it approved, nothing still working and nothing to re-apply: nothing would merge. */
export function refuseNothingApproved(view: SessionView, ready: TaskView[]): void {
  if (!view.requireApproval || ready.some(isApprovedTask) || view.tasks.some((task) => task.reverted?.reapply)) return;
  const leftOut = ready.map((task) => task.id);
  throw new ApiError('NOTHING_APPROVED', `no ready task is approved (${leftOut.join(', ')}); this session merges only approved tasks`, { leftOut });
}

/** What a Save of the whole session would merge now: the machine's rule (actors/review.ts), read from the view. */
export function saveCandidatesOf(view: SessionView): string[] {
  return view.tasks
    .filter((task) => (task.status === 'ready_for_review' && task.commit !== null && (!view.requireApproval || isApprovedTask(task))) || (task.status === 'merged' && task.reverted?.reapply))
    .map((task) => task.id);
}
