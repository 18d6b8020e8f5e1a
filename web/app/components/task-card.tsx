import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { openPreview, type TaskPreview } from '../lib/previews.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { StreamLine, TaskView } from '../lib/api-types.js';
import { ErrorNotice } from './error-notice.js';
import { isTaskActive, TaskStatusBadge } from './status.js';
import { describeLine } from './agent-stream.js';
import { timeAgo } from './ui.js';
import { ReviewBadges } from './review-badges.js';

/** A line a person can act on for the failures a newcomer meets first; the rest show the code only. */
const ERROR_HINT: Record<string, string> = {
  ADAPTER_UNAVAILABLE: 'no agent that could take it is signed in or installed here',
  AGENTS_EXHAUSTED: 'every agent in its order failed',
  WORKTREE_FAILED: 'its git worktree could not be prepared',
  SETUP_FAILED: "its worktree's setup (.thalogos.json) failed",
  COMMIT_FAILED: "the agent's work could not be committed",
};

/** The error's code up front; the runtime's (often long) message behind a disclosure. */
export function TaskErrorSummary({ error }: { error: NonNullable<TaskView['error']> }) {
  const cause = error.cause?.code;
  const hint = (cause ? ERROR_HINT[cause] : undefined) ?? ERROR_HINT[error.code];
  return (
    <div className="mt-2 text-xs text-rose-700 dark:text-rose-400">
      <p>
        <code className="font-mono font-medium">{error.code}</code>
        {cause && cause !== error.code ? (
          <>
            {' '}
            (<code className="font-mono">{cause}</code>)
          </>
        ) : null}
        {hint ? `: ${hint}` : ''}
      </p>
      {error.message ? (
        <details className="mt-1">
          <summary className="cursor-pointer text-zinc-600 dark:text-zinc-400">Details</summary>
          <p className="mt-1 max-h-40 overflow-auto break-words whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">{error.message}</p>
        </details>
      ) : null}
    </div>
  );
}

/** "+3 −1 in 1 file"; a task that changed nothing says so (it has nothing for a Save to merge). */
export function ChangesSummary({ changes }: { changes: NonNullable<TaskView['changes']> }) {
  if (changes.filesChanged === 0) return <span className="font-medium text-zinc-700 dark:text-zinc-300">no changes</span>;
  return (
    <span className="tabular-nums">
      <span className="text-emerald-700 dark:text-emerald-400">+{changes.insertions}</span>{' '}
      <span className="text-rose-700 dark:text-rose-400">−{changes.deletions}</span> in {changes.filesChanged} {changes.filesChanged === 1 ? 'file' : 'files'}
    </span>
  );
}

/**
 * A cancelled card moves to another column, i.e. React mounts a new card: the Cancel button that
 * had focus is gone. The new card takes focus (its title link) so keyboard users are not dropped
 * to <body>.
 */
let focusOnMount: string | null = null;

const CANCELLABLE = new Set(['queued', 'preparing', 'running', 'retry_wait', 'committing']);
const RETRYABLE = new Set(['failed', 'cancelled']);

/** The same goal again as a new task, on the agent the task was asked to use first. */
export function retryBody(task: TaskView): { prompt: string; agent?: string } {
  const agent = task.agentOrder[0];
  return agent ? { prompt: task.prompt, agent } : { prompt: task.prompt };
}

export function TaskCard({ sessionId, task, lastLine, canCancel, preview: devServer = null, ci = null, requireApproval = false }: { sessionId: string; task: TaskView; lastLine: StreamLine | null; canCancel: boolean; preview?: TaskPreview | null; ci?: ReactNode; requireApproval?: boolean }) {
  const [error, setError] = useState<ApiFailure | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [retrying, setRetrying] = useState(false);
  const [retried, setRetried] = useState('');
  const [savingAlone, setSavingAlone] = useState(false);
  const [failedAction, setFailedAction] = useState<'Cancel' | 'Retry' | 'Save' | 'Preview'>('Cancel');
  const titleRef = useRef<HTMLAnchorElement>(null);
  useEffect(() => {
    if (focusOnMount === task.id && !CANCELLABLE.has(task.status)) {
      focusOnMount = null;
      titleRef.current?.focus();
    }
  }, [task.id, task.status]);
  async function retry() {
    if (retrying) return;
    setRetrying(true);
    setError(null);
    setRetried('');
    try {
      const next = await api<TaskView>('POST', `/api/sessions/${sessionId}/tasks`, retryBody(task));
      setRetried(`Started again as a new task on ${next.agent || 'the router'}.`);
    } catch (failure) {
      setFailedAction('Retry');
      setError(failure as ApiFailure);
    } finally {
      setRetrying(false);
    }
  }
  /** A Save of this task alone: the other ready tasks stay ready, running ones keep running. */
  async function saveAlone() {
    if (savingAlone) return;
    setSavingAlone(true);
    setError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/save`, { taskIds: [task.id] });
    } catch (failure) {
      setFailedAction('Save');
      setError(failure as ApiFailure);
    } finally {
      setSavingAlone(false);
    }
  }
  async function cancel() {
    setCancelling(true);
    setError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/tasks/${task.id}/cancel`, {});
      focusOnMount = task.id;
    } catch (failure) {
      setFailedAction('Cancel');
      setError(failure as ApiFailure);
    } finally {
      setCancelling(false);
    }
  }
  const preview = isTaskActive(task.status) && lastLine ? describeLine(lastLine) : task.lastMessage;
  return (
    <article
      aria-label={`Task ${task.prompt}`}
      className="group rounded-md border border-zinc-200 bg-white p-3 shadow-xs transition hover:border-indigo-300 dark:border-zinc-800 dark:bg-zinc-950 dark:hover:border-indigo-700"
    >
      <div className="flex items-start justify-between gap-2">
        <Link ref={titleRef} to={`/sessions/${sessionId}/tasks/${task.id}`} className="line-clamp-3 min-w-0 text-sm font-medium break-words text-zinc-900 hover:underline dark:text-zinc-100">
          {task.prompt}
        </Link>
      </div>
      <div className="mt-2 flex flex-wrap items-center gap-2 text-xs text-zinc-500">
        <TaskStatusBadge status={task.status} />
        <span className="font-mono">{task.agent || 'router'}</span>
        {task.changes ? <ChangesSummary changes={task.changes} /> : null}
        <ReviewBadges task={task} />
        <span className="ml-auto">{timeAgo(task.createdAt)}</span>
      </div>
      {preview ? <p className="mt-2 line-clamp-2 font-mono text-xs text-zinc-500 dark:text-zinc-400">{preview}</p> : null}
      {ci}
      {task.error ? <TaskErrorSummary error={task.error} /> : null}
      {devServer && CANCELLABLE.has(task.status) ? (
        <p className="mt-2 flex items-center gap-2 text-xs text-zinc-600 dark:text-zinc-400">
          <span>port {devServer.port}</span>
          {devServer.listening ? (
            <button
              type="button"
              onClick={() => void openPreview(sessionId, task.id).catch((failure: unknown) => (setFailedAction('Preview'), setError(failure as ApiFailure)))}
              aria-label={`Open the preview of task ${task.prompt}`}
              className="rounded px-1.5 py-0.5 font-medium text-indigo-700 underline hover:bg-indigo-50 dark:text-indigo-300 dark:hover:bg-indigo-950"
            >
              Open preview
            </button>
          ) : (
            <span>nothing listens yet</span>
          )}
        </p>
      ) : null}
      {canCancel && CANCELLABLE.has(task.status) ? (
        <div className="mt-2 flex justify-end">
          <button
            type="button"
            onClick={cancel}
            disabled={cancelling}
            aria-label={`Cancel task ${task.prompt}`}
            className="rounded px-2 py-0.5 text-xs text-zinc-500 hover:bg-rose-50 hover:text-rose-700 dark:hover:bg-rose-950 dark:hover:text-rose-300"
          >
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      ) : null}
      {canCancel && RETRYABLE.has(task.status) ? (
        <div className="mt-2 flex items-center justify-end gap-2">
          <p role="status" className="text-xs text-emerald-700 empty:hidden dark:text-emerald-400">
            {retried}
          </p>
          <button
            type="button"
            onClick={() => void retry()}
            aria-disabled={retrying || undefined}
            aria-label={`Retry task ${task.prompt}`}
            className="rounded px-2 py-0.5 text-xs font-medium text-indigo-700 hover:bg-indigo-50 aria-disabled:opacity-50 dark:text-indigo-300 dark:hover:bg-indigo-950"
          >
            {retrying ? 'Retrying…' : 'Retry'}
          </button>
        </div>
      ) : null}
      {canCancel && task.status === 'ready_for_review' && task.commit !== null && requireApproval && !task.review?.approved ? (
        // Under requireApproval the Save refuses an unapproved task: say what it waits for instead.
        <p className="mt-2 text-right text-xs text-zinc-600 dark:text-zinc-400">Waits for a reviewer's approval before a Save merges it</p>
      ) : null}
      {canCancel && task.status === 'ready_for_review' && task.commit !== null && (!requireApproval || task.review?.approved) ? (
        <div className="mt-2 flex justify-end">
          <button
            type="button"
            onClick={() => void saveAlone()}
            aria-disabled={savingAlone || undefined}
            aria-label={`Save task ${task.prompt} alone`}
            title="Merge only this task into the session's branch (the other tasks stay as they are)"
            className="rounded px-2 py-0.5 text-xs font-medium text-indigo-700 hover:bg-indigo-50 aria-disabled:opacity-50 dark:text-indigo-300 dark:hover:bg-indigo-950"
          >
            {savingAlone ? 'Saving…' : 'Save this task'}
          </button>
        </div>
      ) : null}
      {error ? (
        <div className="mt-2">
          <ErrorNotice error={error} title={`${failedAction} refused`} onDismiss={() => setError(null)} />
        </div>
      ) : null}
    </article>
  );
}
