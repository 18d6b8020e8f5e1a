import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ReviewTimelineRow } from '../components/review-timeline-row.js';
import type * as Y from 'yjs';
import { ErrorNotice } from '../components/error-notice.js';
import { NoteList } from '../components/note-list.js';
import { PlanTimelineEntry } from '../components/plan-timeline-entry.js';
import { CiBadges } from '../components/ci-badges.js';
import { GateResults } from '../components/gate-report.js';
import { SaveFailureDetail } from '../components/save-failure.js';
import { RollbackDialog } from '../components/rollback-dialog.js';
import { Button, Card, CardHeader, Empty, inputClass, shortHash, timeAgo } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { RepoCheckpoint, SessionView } from '../lib/api-types.js';
import { roleAtLeast, type StoredUser } from '../lib/auth.js';
import { mainState, type MainState } from '../lib/main-state.js';
import { useSession } from '../lib/session-context.js';
import { addNote, useNotes, type Note } from '../lib/shared-doc.js';

interface Row {
  tag: string;
  commit: string;
  at: string;
  mergedTaskIds: string[];
  inSession: boolean;
  message: string;
  /** Main as it was when this session started: what its first Save can be rolled back to. */
  sessionStart: boolean;
}

function rowsOf(view: SessionView, repo: RepoCheckpoint[]): Row[] {
  const rows = new Map<string, Row>();
  for (const checkpoint of repo) {
    rows.set(checkpoint.tag, { tag: checkpoint.tag, commit: checkpoint.commit, at: checkpoint.date, mergedTaskIds: [], inSession: checkpoint.sessionStart === view.id, message: checkpoint.message, sessionStart: checkpoint.sessionStart === view.id });
  }
  for (const checkpoint of view.checkpoints) {
    const existing = rows.get(checkpoint.tag);
    rows.set(checkpoint.tag, { tag: checkpoint.tag, commit: checkpoint.commit, at: checkpoint.at, mergedTaskIds: checkpoint.mergedTaskIds, inSession: true, message: existing?.message ?? '', sessionStart: existing?.sessionStart ?? false });
  }
  return [...rows.values()].sort((a, b) => b.at.localeCompare(a.at) || b.tag.localeCompare(a.tag, undefined, { numeric: true }));
}

function AnnotationForm({ doc, tag, user }: { doc: Y.Doc; tag: string; user: StoredUser | null }) {
  const [text, setText] = useState('');
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    addNote(doc, 'annotations', tag, text.trim(), user);
    setText('');
  }
  return (
    <form onSubmit={submit} className="mt-2 flex gap-2">
      <label htmlFor={`annotate-${tag}`} className="sr-only">
        Annotate {tag}
      </label>
      <input id={`annotate-${tag}`} value={text} onChange={(event) => setText(event.target.value)} className={inputClass} placeholder="Add a note for everyone" />
      <Button type="submit" disabled={!text.trim()} aria-label={`Add note to ${tag}`}>
        Add note
      </Button>
    </form>
  );
}

/** The tag whose files main holds now (a published tag, or the checkpoint a rollback restored). */
function tagOnMain(main: MainState | null): string | null {
  if (!main) return null;
  return main.source === 'save' ? main.tag : main.checkpoint;
}

function MainBanner({ main }: { main: MainState | null }) {
  if (!main) return null;
  return (
    <p aria-label="Where main is" className="border-b border-zinc-200 bg-zinc-50 px-4 py-2 text-sm dark:border-zinc-800 dark:bg-zinc-900/60">
      <span className="font-medium">main</span> is at{' '}
      <code className="font-mono text-xs" title={main.commit}>
        {shortHash(main.commit)}
      </code>
      {main.source === 'save' ? (
        <>
          , checkpoint <code className="font-mono text-xs">{main.tag}</code> published by {main.by}
        </>
      ) : (
        <>
          , restored from checkpoint <code className="font-mono text-xs">{main.checkpoint}</code> by {main.by} (a new commit; later checkpoints stay in history)
        </>
      )}{' '}
      <span className="text-xs text-zinc-500">{timeAgo(main.at)}</span>
    </p>
  );
}

/** What became of the rollback this person confirmed, read from the live timeline. */
function rollbackOutcome(view: SessionView, requested: { tag: string; after: number }): { tone: 'busy' | 'ok' | 'error'; text: string } {
  const entry = view.timeline.slice(requested.after).find((candidate) => candidate.kind === 'rollback' && candidate.checkpoint === requested.tag);
  if (!entry || entry.kind !== 'rollback') return { tone: 'busy', text: `Rolling back to ${requested.tag}…` };
  if (entry.result.status !== 'completed') {
    const error = (entry.result as { error?: { code: string; message: string } }).error;
    return { tone: 'error', text: `Rollback to ${requested.tag} failed${error ? `: ${error.code} ${error.message}` : ''}.` };
  }
  if (entry.mode === 'branch') return { tone: 'ok', text: `Rolled back: branch ${entry.result.branch ?? ''} starts at ${requested.tag}; main did not move.` };
  return { tone: 'ok', text: `Rolled back: main is now at ${shortHash(entry.result.commit)}, restored from ${requested.tag}.` };
}

const OUTCOME_TONE = {
  busy: 'text-sky-700 dark:text-sky-300',
  ok: 'text-emerald-700 dark:text-emerald-400',
  error: 'text-rose-700 dark:text-rose-400',
} as const;

export default function Timeline() {
  const { live, view, user } = useSession();
  const [repo, setRepo] = useState<RepoCheckpoint[]>([]);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const annotations = useNotes(live.shared, 'annotations');
  const canRollback = roleAtLeast(user?.role, 'operator');
  const [requested, setRequested] = useState<{ tag: string; after: number } | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const main = mainState(view);
  const onMain = tagOnMain(main);
  const rollbackBusy = view.pendingRollback !== null || view.pendingSave !== null;
  const outcome = requested ? rollbackOutcome(view, requested) : null;

  /** The dialog is gone: focus goes back to the button that opened it, not to <body>. */
  function refocus(tag: string) {
    requestAnimationFrame(() => list.current?.querySelector<HTMLButtonElement>(`button[data-rollback="${CSS.escape(tag)}"]`)?.focus());
  }

  useEffect(() => {
    api<{ checkpoints: RepoCheckpoint[] }>('GET', `/api/sessions/${view.id}/checkpoints`)
      .then((body) => {
        setRepo(body.checkpoints);
        setError(null);
      })
      .catch((failure: ApiFailure) => setError(failure));
  }, [view.id, view.checkpoints.length, view.timeline.length]);

  const rows = rowsOf(view, repo);
  const events = [...view.timeline].reverse();
  return (
    <div className="grid gap-5 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <Card aria-labelledby="checkpoints-title">
        <CardHeader title="Checkpoints" id="checkpoints-title">
          <span className="text-xs text-zinc-500">published commits on main</span>
        </CardHeader>
        <MainBanner main={main} />
        <p role="status" aria-label="Rollback status" className={`px-4 text-sm empty:hidden ${outcome ? `py-2 ${OUTCOME_TONE[outcome.tone]}` : ''}`}>
          {outcome?.text ?? ''}
        </p>
        <ErrorNotice error={error} title="Could not list checkpoints" />
        {rows.length === 0 ? <Empty>No checkpoint yet. Save publishes one when the gates pass.</Empty> : null}
        <ol ref={list} aria-label="Checkpoints" className="divide-y divide-zinc-200 dark:divide-zinc-800">
          {rows.map((row, index) => {
            const notes: Note[] = annotations[row.tag] ?? [];
            return (
              <li key={row.tag} aria-label={row.tag} className="relative px-4 py-4">
                <div className="flex flex-wrap items-center gap-2">
                  <span aria-hidden className={`size-2.5 rounded-full ${row.tag === onMain ? 'bg-emerald-500' : 'bg-zinc-300 dark:bg-zinc-600'}`} />
                  <code className="font-mono text-sm font-medium">{row.tag}</code>
                  <code className="font-mono text-xs text-zinc-500" title={row.commit}>
                    {shortHash(row.commit)}
                  </code>
                  {index === 0 ? <span className="rounded bg-zinc-100 px-1.5 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">latest</span> : null}
                  {row.tag === onMain ? (
                    <span className="rounded bg-emerald-50 px-1.5 text-xs text-emerald-700 dark:bg-emerald-950 dark:text-emerald-300">
                      {main?.source === 'rollback' ? 'restored on main' : 'on main'}
                    </span>
                  ) : null}
                  <CiBadges view={view} commit={row.commit} />
                  {row.sessionStart ? <span className="rounded bg-sky-50 px-1.5 text-xs text-sky-700 dark:bg-sky-950 dark:text-sky-300">session start</span> : null}
                  {!row.inSession ? <span className="text-xs text-zinc-500">from another session</span> : null}
                  <span className="ml-auto text-xs text-zinc-500">{timeAgo(row.at)}</span>
                  {canRollback ? (
                    <Button
                      data-rollback={row.tag}
                      onClick={() => {
                        if (!rollbackBusy) setConfirming(row.tag);
                      }}
                      aria-label={`Roll back to ${row.tag}`}
                      aria-disabled={rollbackBusy || undefined}
                      title={rollbackBusy ? 'Wait for the running Save or rollback to finish' : undefined}
                      className={rollbackBusy ? 'cursor-not-allowed opacity-50' : ''}
                    >
                      Roll back…
                    </Button>
                  ) : null}
                </div>
                {row.mergedTaskIds.length > 0 ? (
                  <p className="mt-1 pl-4.5 text-xs text-zinc-500">
                    merged:{' '}
                    {row.mergedTaskIds
                      .map((id) => view.tasks.find((task) => task.id === id)?.prompt ?? id)
                      .map((prompt) => (prompt.length > 48 ? `${prompt.slice(0, 48)}…` : prompt))
                      .join(' · ')}
                  </p>
                ) : null}
                <div className="mt-2 pl-4.5" role="group" aria-label={`Notes on ${row.tag}`}>
                  <NoteList notes={notes} doc={live.shared} root="annotations" noteKey={row.tag} user={live.sharedReadOnly ? null : user} itemClassName="rounded-md bg-amber-50 px-2 py-1 text-sm dark:bg-amber-950/40" />
                  {live.shared && !live.sharedReadOnly ? <AnnotationForm doc={live.shared} tag={row.tag} user={user} /> : null}
                </div>
              </li>
            );
          })}
        </ol>
      </Card>

      <Card aria-labelledby="events-title" className="self-start">
        <CardHeader title="Timeline" id="events-title" />
        {events.length === 0 ? <Empty>Saves and rollbacks appear here.</Empty> : null}
        <ol aria-label="Timeline events" className="divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
          {events.map((entry, index) => (
            <li key={index} className="px-4 py-2.5">
              {entry.kind === 'save' ? (
                <>
                  <span className="font-medium">Save</span> <span className="text-zinc-500">by {entry.requestedBy}</span>:{' '}
                  <span className={entry.result.status === 'published' ? 'text-emerald-700 dark:text-emerald-400' : 'text-amber-700 dark:text-amber-400'}>
                    {entry.result.status.replace(/_/g, ' ')}
                  </span>
                  {entry.result.status === 'published' ? <code className="ml-1 font-mono text-xs">{String(entry.result.tag)}</code> : null}
                  <SaveFailureDetail result={entry.result} compact />
                  <GateResults result={entry.result} view={view} compact />
                  <span className="block text-xs text-zinc-500">{timeAgo(entry.completedAt)}</span>
                </>
              ) : entry.kind === 'rollback' ? (
                <>
                  <span className="font-medium">Rollback</span> to <code className="font-mono text-xs">{entry.checkpoint}</code>{' '}
                  <span className="text-zinc-500">by {entry.requestedBy}</span>:{' '}
                  <span className={entry.result.status === 'completed' ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}>{entry.result.status}</span>
                  {entry.result.status === 'completed' && entry.result.commit ? <code className="ml-1 font-mono text-xs">{shortHash(entry.result.commit)}</code> : null}
                  {entry.result.status === 'completed' && entry.mode === 'branch' && entry.result.branch ? <code className="ml-1 font-mono text-xs">{entry.result.branch}</code> : null}
                  <span className="block text-xs text-zinc-500">{timeAgo(entry.completedAt)}</span>
                </>
              ) : entry.kind === 'promotion' ? (
                <>
                  <span className="font-medium">Promotion</span> of <code className="font-mono text-xs">{entry.checkpoint}</code> to <span className="font-medium">{entry.environment}</span>{' '}
                  <span className="text-zinc-500">by {entry.requestedBy}{entry.approvals.length > 0 ? `, approved by ${entry.approvals.map((a) => a.by).join(', ')}` : ''}</span>:{' '}
                  <span className={entry.result.status === 'promoted' ? 'text-emerald-700 dark:text-emerald-400' : 'text-rose-700 dark:text-rose-400'}>{entry.result.status.replace(/_/g, ' ')}</span>
                  {entry.result.status === 'error' ? <span className="block text-xs text-rose-700 dark:text-rose-400">{entry.result.error.code}: {entry.result.error.message}</span> : null}
                  <span className="block text-xs text-zinc-500">{timeAgo(entry.completedAt)}</span>
                </>
              ) : entry.kind === 'environment_rollback' ? (
                <>
                  <span className="font-medium">{entry.environment}</span> rolled back to <code className="font-mono text-xs">{entry.checkpoint}</code>{' '}
                  <span className="text-zinc-500">by {entry.by}</span>
                  <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
                </>
              ) : entry.kind === 'permission' ? (
                <>
                  <span className="font-medium">Permission {entry.decision}</span>: {entry.title}{' '}
                  <span className="text-zinc-500">{entry.by === 'timeout' ? '(nobody answered in time)' : entry.by === 'thalogos' ? '(the agent moved on)' : `by ${entry.by}`}</span>
                  <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
                </>
              ) : entry.kind === 'agent_message' ? (
                <>
                  <span className="font-medium">Message to the agent</span> <span className="text-zinc-500">by {entry.by}{entry.delivery === 'interrupt' ? ', interrupting' : ''}</span>: {entry.text.length > 120 ? `${entry.text.slice(0, 120)}…` : entry.text}
                  <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
                </>
              ) : entry.kind === 'task_review' || entry.kind === 'tasks_reverted' || entry.kind === 'task_reapply' || entry.kind === 'session_settings' ? (
                <ReviewTimelineRow entry={entry} sessionId={view.id} titleOf={(id) => view.tasks.find((task) => task.id === id)?.prompt ?? id} />
              ) : entry.kind === 'plan' ? (
                <PlanTimelineEntry entry={entry} />
              ) : (
                <>
                  <span className="font-medium">Review resumed</span> <span className="text-zinc-500">by {entry.by}</span>
                  <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
                </>
              )}
            </li>
          ))}
          {view.pendingRollback ? (
            <li className="px-4 py-2.5 text-sky-700 dark:text-sky-300" role="status">
              Rolling back to {view.pendingRollback.checkpoint}…
            </li>
          ) : null}
        </ol>
      </Card>
      {confirming ? (
        <RollbackDialog
          sessionId={view.id}
          tag={confirming}
          onClose={() => {
            setConfirming(null);
            refocus(confirming);
          }}
          onDone={() => {
            setRequested({ tag: confirming, after: view.timeline.length });
            void live.refresh();
          }}
        />
      ) : null}
    </div>
  );
}
