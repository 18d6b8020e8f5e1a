import { Link } from 'react-router';
import type { SessionView } from '../lib/api-types.js';
import { shortHash, timeAgo } from './ui.js';

type Entry = Extract<SessionView['timeline'][number], { kind: 'task_review' | 'tasks_reverted' | 'task_reapply' | 'session_settings' }>;

/** A timeline row of the review loop: decisions, review rounds, rollback marks, re-applies. */
export function ReviewTimelineRow({ entry, sessionId, titleOf }: { entry: Entry; sessionId: string; titleOf: (taskId: string) => string }) {
  const task = (id: string) => <Link className="hover:underline" to={`/sessions/${sessionId}/tasks/${id}`}>{titleOf(id)}</Link>;
  if (entry.kind === 'task_review') {
    const what = entry.decision === 'approved' ? 'Approved' : entry.decision === 'rejected' ? 'Rejected' : `Changes requested (round ${entry.round ?? 1}, ${entry.comments} line ${entry.comments === 1 ? 'comment' : 'comments'})`;
    return (
      <>
        <span className="font-medium">{what}</span>: {task(entry.taskId)} <span className="text-zinc-500">by {entry.by}</span>
        {entry.commit ? <code className="ml-1 font-mono text-xs">{shortHash(entry.commit)}</code> : null}
        <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
      </>
    );
  }
  if (entry.kind === 'tasks_reverted') {
    return (
      <>
        <span className="font-medium">Off main after the rollback to <code className="font-mono text-xs">{entry.checkpoint}</code></span>:{' '}
        {entry.taskIds.map((id, index) => <span key={id}>{index > 0 ? ', ' : ''}{task(id)}</span>)}
        <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
      </>
    );
  }
  if (entry.kind === 'task_reapply') {
    const what = entry.action === 'reapply' ? 'Re-apply queued' : entry.action === 'rework' ? 'Rework started' : 'Back on main';
    return (
      <>
        <span className="font-medium">{what}</span>: {task(entry.taskId)} {entry.newTaskId ? <>as {task(entry.newTaskId)}</> : null} <span className="text-zinc-500">by {entry.by}</span>
        <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
      </>
    );
  }
  return (
    <>
      <span className="font-medium">{entry.requireApproval ? 'Save now merges approved tasks only' : 'Save merges every ready task'}</span> <span className="text-zinc-500">by {entry.by}</span>
      <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
    </>
  );
}
