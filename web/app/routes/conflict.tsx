import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ErrorNotice } from '../components/error-notice.js';
import { Button, Card, CardHeader, Empty, inputClass, labelClass, shortHash } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { AgentStatus, ConflictHunk, ConflictReport } from '../lib/api-types.js';
import { roleAtLeast } from '../lib/auth.js';
import { useSession } from '../lib/session-context.js';
import { wordDiff } from '../lib/word-diff.js';

type Side = 'ours' | 'theirs';

/**
 * One side of a hunk. Lines wrap (never a horizontal scrollbar in three narrow columns), and the
 * words that differ from the other side's line at the same position are marked.
 */
function Lines({ title, lines, other, tone, mark }: { title: string; lines: string[]; other?: string[]; tone: string; mark?: string }) {
  return (
    <div className="min-w-0">
      <p className={`px-2 py-1 text-[11px] font-semibold tracking-wide uppercase ${tone}`}>{title}</p>
      <pre aria-label={title} className="px-2 pb-2 font-mono text-xs break-words whitespace-pre-wrap [overflow-wrap:anywhere]">
        {lines.length === 0 ? (
          <span className="text-zinc-600 dark:text-zinc-400">(no lines)</span>
        ) : (
          lines.map((line, index) => (
            <span key={index} className="block min-h-[1.25em]">
              {other && mark
                ? wordDiff(line, other[index]).map((piece, at) =>
                    piece.changed ? (
                      <mark key={at} className={`rounded-sm text-inherit ${mark}`}>
                        {piece.text}
                      </mark>
                    ) : (
                      <span key={at}>{piece.text}</span>
                    ),
                  )
                : line}
            </span>
          ))
        )}
      </pre>
    </div>
  );
}

function HunkView({ path, index, hunk, side, onPick, disabled }: { path: string; index: number; hunk: ConflictHunk; side: Side | undefined; onPick: (side: Side) => void; disabled: boolean }) {
  const name = `hunk-${path}-${index}`;
  return (
    <div className="rounded-md border border-zinc-200 dark:border-zinc-800">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-3 py-1.5 text-xs text-zinc-500 dark:border-zinc-800">
        <span>
          Hunk {index + 1} · base line {hunk.baseStart}
        </span>
        <fieldset className="flex items-center gap-3" disabled={disabled}>
          <legend className="sr-only">
            Resolution for {path} hunk {index + 1}
          </legend>
          <label className="inline-flex items-center gap-1">
            <input type="radio" name={name} checked={side === 'ours'} onChange={() => onPick('ours')} aria-label={`Keep integration side for ${path} hunk ${index + 1}`} />
            keep integration
          </label>
          <label className="inline-flex items-center gap-1">
            <input type="radio" name={name} checked={side === 'theirs'} onChange={() => onPick('theirs')} aria-label={`Take task side for ${path} hunk ${index + 1}`} />
            take task
          </label>
        </fieldset>
      </div>
      <div className="grid divide-y divide-zinc-200 md:grid-cols-3 md:divide-x md:divide-y-0 dark:divide-zinc-800">
        <Lines title="base" lines={hunk.base} tone="text-zinc-600 dark:text-zinc-400" />
        <Lines title="integration (ours)" lines={hunk.ours} other={hunk.theirs} tone="text-sky-700 dark:text-sky-400" mark="bg-sky-200/80 dark:bg-sky-800/70" />
        <Lines title="task (theirs)" lines={hunk.theirs} other={hunk.ours} tone="text-violet-700 dark:text-violet-400" mark="bg-violet-200/80 dark:bg-violet-800/70" />
      </div>
    </div>
  );
}

/** Runtime endpoints this view needs that may not exist yet; a 404 says so plainly. */
const RESOLVE_ENDPOINT = (id: string) => `/api/sessions/${id}/conflicts/resolve`;
const DELEGATE_ENDPOINT = (id: string) => `/api/sessions/${id}/conflicts/delegate`;

export default function ConflictPage() {
  const { live, view, user } = useSession();
  const [sides, setSides] = useState<Record<string, Side>>({});
  const [agent, setAgent] = useState('');
  const [error, setError] = useState<ApiFailure | null>(null);
  const [done, setDone] = useState<string | null>(null);
  /** The report this person resolved here (by its task and task-side commit). */
  const [resolvedKey, setResolvedKey] = useState<string | null>(null);
  const [agents, setAgents] = useState<AgentStatus[]>([]);
  useEffect(() => {
    let stopped = false;
    api<{ agents: AgentStatus[] }>('GET', '/api/agents')
      .then((body) => !stopped && setAgents(body.agents))
      .catch(() => undefined); // the picker still lists the session's agents, without their status
    return () => {
      stopped = true;
    };
  }, []);
  const result = view.lastSave?.result as { status: string; report?: ConflictReport } | undefined;
  const report = result?.status === 'conflict' ? (result.report ?? null) : null;
  const canResolve = roleAtLeast(user?.role, 'reviewer');

  if (!report) {
    return (
      <Card aria-labelledby="conflict-title">
        <CardHeader title="Conflicts" id="conflict-title" />
        <Empty>No conflict: the last Save {view.lastSave ? `ended as “${view.lastSave.result.status.replace(/_/g, ' ')}”` : 'has not run yet'}.</Empty>
      </Card>
    );
  }

  const task = view.tasks.find((candidate) => candidate.id === report.taskId);
  const reportKey = `${report.taskId}@${report.theirs}`;
  // Resolved here, or the task branch moved past the conflicting commit (resolved elsewhere).
  const resolved = resolvedKey === reportKey || (task?.commit != null && task.commit !== report.theirs && task.status === 'ready_for_review');
  const allHunks = report.files.flatMap((file) => file.hunks.map((_, index) => `${file.path}#${index}`));
  const complete = allHunks.every((key) => sides[key] !== undefined);

  async function run(label: string, call: () => Promise<unknown>) {
    setError(null);
    setDone(null);
    try {
      await call();
      setDone(label);
      await live.refresh();
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  }

  const resolve = () =>
    run('Resolved: the task branch now merges cleanly; Save again to publish', async () => {
      await api('POST', RESOLVE_ENDPOINT(view.id), {
        taskId: report.taskId,
        resolutions: report.files.flatMap((file) => file.hunks.map((_, hunk) => ({ path: file.path, hunk, side: sides[`${file.path}#${hunk}`] }))),
      });
      setResolvedKey(reportKey);
    });
  const delegate = () =>
    run('Handed to an agent; Save again once the task is ready for review', () =>
      api('POST', DELEGATE_ENDPOINT(view.id), agent ? { taskId: report.taskId, agent } : { taskId: report.taskId }),
    );
  const reject = () => run('Task rejected; Save again to publish the rest', () => api('POST', `/api/sessions/${view.id}/tasks/${report.taskId}/reject`, {}));

  return (
    <div className="space-y-5">
      <Card aria-labelledby="conflict-title">
        <CardHeader title="Merge conflict" id="conflict-title">
          <span className="text-xs text-zinc-500">
            {report.summary.files} file{report.summary.files === 1 ? '' : 's'}, {report.summary.hunks} hunk{report.summary.hunks === 1 ? '' : 's'}
          </span>
        </CardHeader>
        <div className="space-y-2 p-4 text-sm">
          <p>
            Save stopped while merging{' '}
            {task ? (
              <Link to={`/sessions/${view.id}/tasks/${task.id}`} className="font-medium text-indigo-600 underline dark:text-indigo-400">
                {task.prompt}
              </Link>
            ) : (
              <code className="font-mono">{report.taskId}</code>
            )}{' '}
            (<code className="font-mono text-xs">{report.branch}</code>) into the integration branch. main was not moved.
          </p>
          <p className="text-xs text-zinc-500">
            integration {shortHash(report.ours)} · task {shortHash(report.theirs)}
          </p>
        </div>
      </Card>

      {resolved ? (
        <p role="status" aria-label="Conflict resolved" className="rounded-lg border border-emerald-300 bg-emerald-50 px-4 py-3 text-sm text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950/50 dark:text-emerald-200">
          <strong className="font-semibold">Resolved.</strong> The task branch now merges cleanly. Press <strong>Save</strong> to publish it; the report below is the conflict as it was.
        </p>
      ) : null}

      {report.files.map((file) => (
        <Card key={file.path} aria-label={`Conflict in ${file.path}`}>
          <CardHeader title={<span className="font-mono">{file.path}</span>}>
            <span className="rounded bg-rose-50 px-1.5 text-xs text-rose-700 dark:bg-rose-950 dark:text-rose-300">{file.kind.replace(/_/g, ' ')}</span>
          </CardHeader>
          <div className="space-y-3 p-4">
            {file.summary ? <p className="text-xs text-zinc-500">{file.summary}</p> : null}
            {file.hunks.map((hunk, index) => (
              <HunkView
                key={index}
                path={file.path}
                index={index}
                hunk={hunk}
                side={sides[`${file.path}#${index}`]}
                disabled={!canResolve || resolved}
                onPick={(side) => setSides((previous) => ({ ...previous, [`${file.path}#${index}`]: side }))}
              />
            ))}
            {file.hunks.length === 0 ? <p className="text-sm text-zinc-500">No line hunks: this conflict is about the whole file ({file.kind}).</p> : null}
          </div>
        </Card>
      ))}

      <Card aria-labelledby="resolve-title">
        <CardHeader title="Resolve" id="resolve-title" />
        <div className="grid gap-4 p-4 md:grid-cols-3">
          <div className="space-y-2">
            <p className="text-sm font-medium">Pick a side per hunk</p>
            <p className="text-xs text-zinc-500">
              {Object.keys(sides).length} of {allHunks.length} hunks decided.
            </p>
            <Button variant="primary" onClick={resolve} disabled={!canResolve || !complete || resolved}>
              Apply resolutions
            </Button>
            {/* Said plainly rather than offered: the runtime's resolve takes one side per hunk. */}
            <p className="text-xs text-zinc-600 dark:text-zinc-400">
              Keeping both sides or editing a hunk by hand is not supported yet: the runtime applies one side per hunk. For a
              combination, hand the conflict to an agent with instructions in the chat, or reject the task and start a new one.
            </p>
          </div>
          <div className="space-y-2">
            <p className="text-sm font-medium">Hand the conflict to an agent</p>
            <label htmlFor="conflict-agent" className={labelClass}>
              Agent for the conflict
            </label>
            <select id="conflict-agent" value={agent} onChange={(event) => setAgent(event.target.value)} className={inputClass} disabled={!canResolve}>
              <option value="">Let the router pick</option>
              {view.agentOrder.filter((id) => id !== 'command').map((id) => {
                const status = agents.find((candidate) => candidate.id === id)?.status;
                return (
                  <option key={id} value={id}>
                    {id}
                    {status && status !== 'available' ? ` (${status})` : ''}
                  </option>
                );
              })}
            </select>
            {agents.length > 0 && !agents.some((candidate) => candidate.id !== 'command' && candidate.status === 'available') ? (
              <p className="text-xs text-amber-800 dark:text-amber-300">No coding agent is signed in here, so handing the conflict over will fail; pick a side per hunk instead.</p>
            ) : null}
            <Button onClick={delegate} disabled={!canResolve || resolved}>
              Hand to an agent
            </Button>
          </div>
          <div className="space-y-2">
            <p className="text-sm font-medium">Drop this task from the Save</p>
            <p className="text-xs text-zinc-500">Rejects the task; the next Save publishes the others.</p>
            <Button variant="danger" onClick={reject} disabled={!canResolve || task?.status !== 'ready_for_review'}>
              Reject task
            </Button>
          </div>
        </div>
        <div className="space-y-2 px-4 pb-4">
          <ErrorNotice error={error} title="Not resolved" onDismiss={() => setError(null)} />
          {done ? (
            <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
              {done}.
            </p>
          ) : null}
        </div>
      </Card>
    </div>
  );
}
