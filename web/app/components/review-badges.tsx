import type { TaskView } from '../lib/api-types.js';

/** The review state of a task at a glance: approved, review rounds, work a rollback took off main. */
export function ReviewBadges({ task }: { task: TaskView }) {
  const rounds = task.review?.rounds.length ?? 0;
  return (
    <>
      {task.review?.approved ? (
        <span className="rounded-full bg-emerald-100 px-2 py-0.5 font-medium text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300" title={`Approved by ${task.review.approved.by}`}>
          Approved
        </span>
      ) : null}
      {rounds > 0 ? (
        <span className="rounded-full bg-amber-100 px-2 py-0.5 font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-300">
          {rounds} review {rounds === 1 ? 'round' : 'rounds'}
        </span>
      ) : null}
      {task.reverted ? (
        <span className="rounded-full bg-rose-100 px-2 py-0.5 font-medium text-rose-800 dark:bg-rose-950 dark:text-rose-300" title={`Rolled back to ${task.reverted.checkpoint}`}>
          {task.reverted.reapply ? 'Re-applies on next Save' : task.reverted.reworkedAs ? 'Reworked' : 'Not on main (rolled back)'}
        </span>
      ) : null}
    </>
  );
}
