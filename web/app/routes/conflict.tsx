import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { ChoicePicker, HunkView } from '../components/conflict-hunk.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Button, Card, CardHeader, Empty, inputClass, labelClass, shortHash } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { AgentStatus, ConflictFile, ConflictReport } from '../lib/api-types.js';
import { roleAtLeast } from '../lib/auth.js';
import { toResolution, type Choice } from '../lib/conflict-choice.js';
import { useSession } from '../lib/session-context.js';

/** Where a choice is kept: `path#index` for a hunk, `path#*` for a conflict without hunks. */
const keyOf = (path: string, hunk: number | undefined) => `${path}#${hunk ?? '*'}`;
const isSymlink = (file: ConflictFile) => file.ours.mode === '120000' || file.theirs.mode === '120000';

/** Runtime endpoints this view needs that may not exist yet; a 404 says so plainly. */
const RESOLVE_ENDPOINT = (id: string) => `/api/sessions/${id}/conflicts/resolve`;
const DELEGATE_ENDPOINT = (id: string) => `/api/sessions/${id}/conflicts/delegate`;

export default function ConflictPage() {
  const { live, view, user } = useSession();
  const [choices, setChoices] = useState<Record<string, Choice>>({});
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
  // Every hunk needs a choice, and every conflict without hunks (binary, modify/delete, ...) a side.
  const allKeys = report.files.flatMap((file) => (file.hunks.length ? file.hunks.map((_, index) => keyOf(file.path, index)) : [keyOf(file.path, undefined)]));
  const decided = allKeys.filter((key) => choices[key] !== undefined).length;
  const complete = decided === allKeys.length;
  const choose = (key: string, choice: Choice) => setChoices((previous) => ({ ...previous, [key]: choice }));

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
        resolutions: report.files.flatMap((file) =>
          file.hunks.length
            ? file.hunks.map((_, hunk) => toResolution(file.path, hunk, choices[keyOf(file.path, hunk)] as Choice))
            : [toResolution(file.path, undefined, choices[keyOf(file.path, undefined)] as Choice)],
        ),
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
              <Link to={`/sessions/${view.id}/tasks/${task.id}`} className="font-medium [overflow-wrap:anywhere] text-indigo-600 underline dark:text-indigo-400">
                {task.prompt}
              </Link>
            ) : (
              <code className="font-mono">{report.taskId}</code>
            )}{' '}
            (<code className="font-mono text-xs [overflow-wrap:anywhere]">{report.branch}</code>) into the integration branch. main was not moved.
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
          <CardHeader title={<span className="font-mono [overflow-wrap:anywhere]">{file.path}</span>}>
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
                choice={choices[keyOf(file.path, index)]}
                sidesOnly={isSymlink(file)}
                disabled={!canResolve || resolved}
                onChoose={(choice) => choose(keyOf(file.path, index), choice)}
              />
            ))}
            {file.hunks.length === 0 ? (
              <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
                <p className="text-zinc-600 dark:text-zinc-400">No line hunks: this conflict is about the whole file ({file.kind.replace(/_/g, ' ')}); keep one side.</p>
                <ChoicePicker
                  where={`${file.path} (whole file)`}
                  groupName={`file-${file.path}`}
                  value={choices[keyOf(file.path, undefined)]?.side}
                  sidesOnly
                  disabled={!canResolve || resolved}
                  onPick={(side) => choose(keyOf(file.path, undefined), { side: side as 'ours' | 'theirs' })}
                />
              </div>
            ) : null}
          </div>
        </Card>
      ))}

      <Card aria-labelledby="resolve-title">
        <CardHeader title="Resolve" id="resolve-title" />
        <div className="grid gap-4 p-4 md:grid-cols-3">
          <div className="space-y-2">
            <p className="text-sm font-medium">Choose per hunk</p>
            <p className="text-xs text-zinc-600 dark:text-zinc-400">
              Ours keeps the integration, Theirs takes the task, Both keeps ours then theirs, Edit lets you write the hunk; each hunk shows what will be applied.
            </p>
            <p className="text-xs text-zinc-500">
              {decided} of {allKeys.length} decided.
            </p>
            <Button variant="primary" onClick={resolve} disabled={!canResolve || !complete || resolved}>
              Apply resolutions
            </Button>
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
              <p className="text-xs text-amber-800 dark:text-amber-300">No coding agent is signed in here, so handing the conflict over will fail; choose per hunk instead.</p>
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
