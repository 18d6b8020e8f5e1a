import { useState } from 'react';
import { Link } from 'react-router';
import { api, type ApiFailure } from '../lib/api.js';
import type { TaskView } from '../lib/api-types.js';
import { ErrorNotice } from './error-notice.js';
import { Button, Card, CardHeader, inputClass, labelClass, shortHash, timeAgo } from './ui.js';

/**
 * The review loop on a task: approve the current commit, send changes back to the agent's own
 * conversation (the line comments go with the message), the rounds so far, and what to do with
 * work a rollback took off main.
 */
export function ReviewPanel({ sessionId, task, canReview, canOperate, newComments, onChanged }: {
  sessionId: string;
  task: TaskView;
  canReview: boolean;
  canOperate: boolean;
  /** Line comments not yet sent in a round: they go with the next request for changes. */
  newComments: number;
  onChanged: () => void;
}) {
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [sent, setSent] = useState('');
  const ready = task.status === 'ready_for_review' && task.commit !== null;
  const rounds = task.review?.rounds ?? [];

  async function act(what: string, path: string, body: unknown, done: string) {
    if (busy) return;
    setBusy(what);
    setError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/tasks/${task.id}/${path}`, body);
      setSent(done);
      if (what === 'changes') setMessage('');
      onChanged();
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(null);
    }
  }

  if (!ready && rounds.length === 0 && !task.review?.approved && !task.reverted) return null;
  return (
    <Card aria-labelledby="review-loop-title">
      <CardHeader title="Review decision" id="review-loop-title">
        {task.review?.approved ? (
          <span className="text-xs font-medium text-emerald-700 dark:text-emerald-400">
            Approved by {task.review.approved.by} {timeAgo(task.review.approved.at)} (commit {shortHash(task.review.approved.commit)})
          </span>
        ) : null}
      </CardHeader>
      <div className="space-y-3 p-4">
        {task.reverted ? (
          <div role="note" className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-900 dark:bg-rose-950 dark:text-rose-200">
            <p>
              A rollback to <code className="font-mono text-xs">{task.reverted.checkpoint}</code> took this task's work off main {timeAgo(task.reverted.at)}.
              {task.reverted.reapply ? ' It is re-applied on its branch: the next Save merges it again.' : ''}
              {task.reverted.reworkedAs ? (
                <>
                  {' '}It is being reworked as <Link className="underline" to={`/sessions/${sessionId}/tasks/${task.reverted.reworkedAs}`}>a new task</Link>.
                </>
              ) : null}
            </p>
            {!task.reverted.reapply && !task.reverted.reworkedAs && canOperate ? (
              <div className="mt-2 flex flex-wrap gap-2">
                <Button onClick={() => void act('reapply', 'reapply', {}, 'Re-applied: the next Save merges it.')} aria-disabled={busy !== null || undefined}>
                  {busy === 'reapply' ? 'Re-applying…' : 'Re-apply on next Save'}
                </Button>
                <Button onClick={() => void act('rework', 'rework', {}, 'A new task runs the prompt again from main.')} aria-disabled={busy !== null || undefined}>
                  {busy === 'rework' ? 'Starting…' : 'Rework from current main'}
                </Button>
              </div>
            ) : null}
          </div>
        ) : null}
        {ready && canReview ? (
          <div className="space-y-2">
            <div className="flex flex-wrap items-center gap-2">
              <Button variant="primary" onClick={() => void act('approve', 'approve', {}, 'Approved.')} aria-disabled={busy !== null || undefined} disabled={task.review?.approved !== null && task.review?.approved !== undefined}>
                {task.review?.approved ? 'Approved' : busy === 'approve' ? 'Approving…' : 'Approve'}
              </Button>
              <span className="text-xs text-zinc-600 dark:text-zinc-400">or send it back to {task.agent}'s conversation:</span>
            </div>
            <label htmlFor="changes-message" className={labelClass}>
              What should change ({newComments} new line {newComments === 1 ? 'comment goes' : 'comments go'} with it)
            </label>
            <textarea id="changes-message" rows={3} maxLength={20_000} value={message} onChange={(event) => setMessage(event.target.value)} className={inputClass} />
            <Button onClick={() => void act('changes', 'request-changes', { message: message.trim() }, 'Changes requested: the agent is working on them.')} aria-disabled={busy !== null || (message.trim() === '' && newComments === 0) || undefined}>
              {busy === 'changes' ? 'Sending…' : 'Request changes'}
            </Button>
          </div>
        ) : null}
        {ready && !canReview ? <p className="text-xs text-zinc-600 dark:text-zinc-400">Approving or requesting changes needs the reviewer role.</p> : null}
        <p role="status" className="text-xs text-emerald-700 empty:hidden dark:text-emerald-400">{sent}</p>
        <ErrorNotice error={error} title="Refused" onDismiss={() => setError(null)} />
        {rounds.length > 0 ? (
          <ol aria-label="Review rounds" className="space-y-2">
            {rounds.map((round) => (
              <li key={round.round} className="rounded-md border border-zinc-200 px-3 py-2 text-sm dark:border-zinc-800">
                <p className="text-xs text-zinc-500">
                  Round {round.round} · {round.by} {timeAgo(round.at)} · {round.resumed ? 'same conversation' : 'new conversation'} ·{' '}
                  {round.commitAfter ? `new commit ${shortHash(round.commitAfter)}` : round.runId === task.runs.at(-1)?.runId && task.status === 'running' ? 'working…' : 'no new commit'}
                </p>
                {round.message ? <p className="mt-1 break-words">{round.message}</p> : null}
                {round.comments.length > 0 ? (
                  <ul className="mt-1 space-y-0.5 text-xs">
                    {round.comments.map((comment) => (
                      <li key={comment.id} className="break-words">
                        <code className="font-mono">{comment.path}:{comment.line}</code> {comment.by}: {comment.text}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </li>
            ))}
          </ol>
        ) : null}
      </div>
    </Card>
  );
}
