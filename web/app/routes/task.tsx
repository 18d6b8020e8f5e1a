import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { AgentMessageBox, isAcpAgent } from '../components/acp-steering.js';
import { AgentStream } from '../components/agent-stream.js';
import { DiffFileView } from '../components/diff-view.js';
import { ErrorNotice } from '../components/error-notice.js';
import { RejectDialog } from '../components/reject-dialog.js';
import { ReviewBadges } from '../components/review-badges.js';
import { ReviewPanel } from '../components/review-panel.js';
import { TaskStatusBadge } from '../components/status.js';
import { WorktreePath } from '../components/worktree-path.js';
import { Button, Card, CardHeader, Empty, shortHash, Spinner, timeAgo } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { TaskDiff } from '../lib/api-types.js';
import { roleAtLeast } from '../lib/auth.js';
import { MAX_STREAM_LINES } from '../lib/stream-merge.js';
import { useSession } from '../lib/session-context.js';
import { useNotes } from '../lib/shared-doc.js';

const CANCELLABLE = new Set(['queued', 'preparing', 'running', 'retry_wait', 'committing']);
const FINAL_TASK_STATUSES = new Set(['merged', 'rejected', 'failed', 'cancelled']);

/** Text for a task without a commit, by what became of it. */
function noDiffText(status: string): string {
  if (status === 'ready_for_review' || status === 'merged') return 'No changes: the agent finished without changing any file, so a Save has nothing of this task to merge.';
  if (status === 'failed') return 'The task failed before committing anything, so there is no diff. Its agent stream shows what happened.';
  if (status === 'cancelled' || status === 'rejected' || status === 'interrupted') return `The task was ${status} before committing anything, so there is no diff.`;
  return 'The diff appears once the agent has finished and its work is committed.';
}

/** A fresh review per task: nothing (diff, selected run, errors) carries over to the next one. */
export default function TaskPage() {
  const { taskId = '' } = useParams();
  return <TaskReview key={taskId} taskId={taskId} />;
}

function TaskReview({ taskId }: { taskId: string }) {
  const { live, view, user } = useSession();
  const task = view.tasks.find((candidate) => candidate.id === taskId);
  const [diff, setDiff] = useState<TaskDiff | null>(null);
  const [diffError, setDiffError] = useState<ApiFailure | null>(null);
  const [actionError, setActionError] = useState<ApiFailure | null>(null);
  const [runIndex, setRunIndex] = useState<number | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const comments = useNotes(live.shared, 'comments');

  const commit = task?.commit ?? null;
  useEffect(() => {
    if (!commit) return;
    let cancelled = false;
    setDiffError(null);
    api<TaskDiff>('GET', `/api/sessions/${view.id}/tasks/${taskId}/diff`)
      .then((body) => !cancelled && setDiff(body))
      .catch((failure: ApiFailure) => !cancelled && setDiffError(failure));
    return () => {
      cancelled = true;
    };
  }, [view.id, taskId, commit]);

  if (!task) {
    return <ErrorNotice error={{ code: 'TASK_NOT_FOUND', message: `no task ${taskId}`, status: 404 } as ApiFailure} title="Task not found" />;
  }

  async function act(path: 'cancel') {
    setActionError(null);
    try {
      await api('POST', `/api/sessions/${view.id}/tasks/${taskId}/${path}`, {});
      await live.refresh();
    } catch (failure) {
      setActionError(failure as ApiFailure);
    }
  }

  const selectedRun = task.runs[runIndex ?? task.runs.length - 1];
  const lines = selectedRun ? (live.streams[selectedRun.runId] ?? []) : [];
  // The task's setup commands stream beside its runs (run `<task>.setup` in the state document).
  const setupText = (live.streams[`${task.id}.setup`] ?? []).map((line) => line.text ?? '').join('');
  const taskComments = Object.fromEntries(Object.entries(comments).filter(([key]) => key.startsWith(`${taskId}:`)));
  const commentCount = Object.values(taskComments).reduce((sum, notes) => sum + notes.length, 0);
  // Comments a request for changes has not carried yet go with the next one.
  const sentIds = new Set((task.review?.rounds ?? []).flatMap((round) => round.comments.map((comment) => comment.id)));
  const newComments = Object.values(taskComments).reduce((sum, notes) => sum + notes.filter((note) => !sentIds.has(note.id) && note.text.trim() !== '').length, 0);
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1">
          <Link to={`/sessions/${view.id}`} className="text-xs text-zinc-500 hover:underline">
            ← Board
          </Link>
          <h2 className="mt-1 text-base font-semibold break-words">{task.prompt}</h2>
          <p className="mt-1 flex flex-wrap items-center gap-2 text-xs text-zinc-500">
            <TaskStatusBadge status={task.status} />
            <span className="font-mono">{task.id}</span>
            <span>agent {task.agent || 'router'}</span>
            {task.branch ? <span className="font-mono">{task.branch}</span> : null}
            {task.commit ? <span className="font-mono">commit {shortHash(task.commit)}</span> : null}
            <span>by {task.createdBy ?? 'unknown'} {timeAgo(task.createdAt)}</span>
            <ReviewBadges task={task} />
          </p>
          {/* An ended task's worktree was released; its work stays on its branch. */}
          {task.worktreePath && !FINAL_TASK_STATUSES.has(task.status) ? <WorktreePath path={task.worktreePath} /> : null}
        </div>
        <div className="flex gap-2">
          {CANCELLABLE.has(task.status) && roleAtLeast(user?.role, 'operator') ? (
            <Button variant="danger" onClick={() => void act('cancel')}>
              Cancel task
            </Button>
          ) : null}
          {task.status === 'ready_for_review' && roleAtLeast(user?.role, 'reviewer') ? (
            <Button onClick={() => setRejecting(true)}>
              Reject task…
            </Button>
          ) : null}
        </div>
      </div>
      <ErrorNotice error={actionError} title="Refused" onDismiss={() => setActionError(null)} />
      {rejecting ? (
        <RejectDialog
          sessionId={view.id}
          taskId={task.id}
          prompt={task.prompt}
          onClose={() => setRejecting(false)}
          onDone={() => void live.refresh()}
        />
      ) : null}
      <ReviewPanel
        sessionId={view.id}
        task={task}
        canReview={roleAtLeast(user?.role, 'reviewer')}
        canOperate={roleAtLeast(user?.role, 'operator')}
        newComments={newComments}
        onChanged={() => void live.refresh()}
      />
      {task.closed?.reason ? (
        <p className="rounded-md bg-zinc-100 px-3 py-2 text-sm dark:bg-zinc-800">
          <span className="font-medium">{task.status === 'rejected' ? 'Rejected' : 'Closed'} by {task.closed.by}:</span> {task.closed.reason}
        </p>
      ) : null}
      {task.error ? (
        <p role="alert" className="rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-800 dark:bg-rose-950 dark:text-rose-300">
          <code className="font-mono text-xs">{task.error.code}</code> {task.error.message}
        </p>
      ) : null}

      <div className="grid gap-5 xl:grid-cols-[minmax(0,5fr)_minmax(0,4fr)]">
        <Card aria-labelledby="review-title" className="min-w-0">
          <CardHeader title="Review" id="review-title">
            <span className="text-xs text-zinc-500">
              {diff ? `${diff.stats.files} ${diff.stats.files === 1 ? 'file' : 'files'} · +${diff.stats.additions} −${diff.stats.deletions} · ` : ''}
              {commentCount} comment{commentCount === 1 ? '' : 's'}
            </span>
          </CardHeader>
          <div className="space-y-4 p-4">
            {!commit ? <Empty>{noDiffText(task.status)}</Empty> : null}
            <ErrorNotice error={diffError} title="Could not load the diff" />
            {commit && !diff && !diffError ? <Spinner label="Loading diff…" /> : null}
            {diff && diff.files.length === 0 ? <Empty>No changes against the base.</Empty> : null}
            {!live.shared && diff ? <p className="text-xs text-zinc-600 dark:text-zinc-400">Comments appear once live collaboration is connected.</p> : null}
            {live.shared && diff && diff.files.length > 0 ? (
              <p className="text-xs text-zinc-600 dark:text-zinc-400">
                {task.status === 'rejected'
                  ? 'This task was rejected: its comments can be read, not added to.'
                  : live.sharedReadOnly
                  ? `You can read comments; adding them needs the reviewer role (you are ${user?.role ?? 'signed out'}).`
                  : 'Click a line number (or the + beside it) to comment; everyone here sees it at once.'}
              </p>
            ) : null}
            {diff?.files.map((file) => (
              <DiffFileView key={file.path} taskId={task.id} file={file} comments={taskComments} doc={live.shared} canComment={!live.sharedReadOnly && task.status !== 'rejected'} user={user} />
            ))}
          </div>
        </Card>

        <Card aria-labelledby="stream-title" className="min-w-0 self-start">
          <CardHeader title="Agent stream" id="stream-title">
            {task.runs.length > 1 ? (
              <label className="flex items-center gap-1 text-xs text-zinc-500">
                Run
                <select
                  value={runIndex ?? task.runs.length - 1}
                  onChange={(event) => setRunIndex(Number(event.target.value))}
                  className="rounded border border-zinc-300 bg-transparent px-1 py-0.5 dark:border-zinc-700"
                >
                  {task.runs.map((run, index) => (
                    <option key={run.runId} value={index}>
                      {index + 1}: {run.agent} {run.outcome ?? 'running'}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
          </CardHeader>
          {setupText !== '' ? (
            <details open={task.status === 'preparing' || task.error?.code === 'SETUP_FAILED'} className="border-b border-zinc-200 dark:border-zinc-800">
              <summary className="cursor-pointer px-4 py-2 text-xs font-medium text-zinc-600 dark:text-zinc-400">Setup output (.thalogos.json setup)</summary>
              <pre aria-label="Setup output" className="max-h-64 overflow-auto whitespace-pre-wrap break-words px-4 pb-2 font-mono text-xs">{setupText.slice(-16_000)}</pre>
            </details>
          ) : null}
          {selectedRun ? (
            <>
              <p className="flex flex-wrap gap-3 border-b border-zinc-200 px-4 py-2 text-xs text-zinc-500 dark:border-zinc-800">
                <span>{selectedRun.agent}{selectedRun.cliVersion ? ` ${selectedRun.cliVersion}` : ''}</span>
                <span>attempt {selectedRun.attempt}</span>
                <span>{selectedRun.outcome ?? selectedRun.state ?? 'running'}</span>
                {task.changes ? <span>{task.changes.files.join(', ')}</span> : null}
              </p>
              <AgentStream lines={lines} label={`Agent stream for ${task.prompt}`} limit={MAX_STREAM_LINES} />
              {isAcpAgent(selectedRun.agent) && selectedRun.outcome === null && roleAtLeast(user?.role, 'reviewer') ? (
                <AgentMessageBox sessionId={view.id} taskId={task.id} onSent={() => void live.refresh()} />
              ) : null}
              {/* A command's final message is the tail of its output, which the stream already shows. */}
              {selectedRun.finalMessage && !(selectedRun.agent === 'command' && lines.length > 0) ? (
                <p className="border-t border-zinc-200 px-4 py-2 text-sm dark:border-zinc-800">
                  <span className="text-xs font-medium text-zinc-500">Final message </span>
                  {selectedRun.finalMessage}
                </p>
              ) : null}
            </>
          ) : (
            <Empty>The task is queued; no agent has started yet.</Empty>
          )}
        </Card>
      </div>
    </div>
  );
}
