import { AgentStream } from '../components/agent-stream.js';
import { ChatPanel, MemoryPanel } from '../components/collab-panels.js';
import { GoalBox } from '../components/goal-box.js';
import { PlanPanel } from '../components/plan-editor.js';
import { CiBadges } from '../components/ci-badges.js';
import { TaskCard } from '../components/task-card.js';
import { SavePreviewPanel } from '../components/save-preview.js';
import { Card, CardHeader } from '../components/ui.js';
import type { StreamLine, TaskStatus, TaskView } from '../lib/api-types.js';
import { roleAtLeast } from '../lib/auth.js';
import { MAX_STREAM_LINES } from '../lib/stream-merge.js';
import { usePreviews } from '../lib/previews.js';
import { useSession } from '../lib/session-context.js';

const COLUMNS: Array<{ id: string; title: string; statuses: TaskStatus[] }> = [
  { id: 'queued', title: 'Queued', statuses: ['queued', 'interrupted'] },
  { id: 'running', title: 'Running', statuses: ['preparing', 'running', 'retry_wait', 'committing'] },
  { id: 'review', title: 'Ready for review', statuses: ['ready_for_review'] },
  { id: 'merged', title: 'Merged', statuses: ['merged'] },
  { id: 'closed', title: 'Failed or closed', statuses: ['failed', 'cancelled', 'rejected'] },
];

const KEPT_STREAMS = 5;

function runLines(streams: Record<string, StreamLine[]>, task: TaskView): StreamLine[] {
  const run = task.runs[task.runs.length - 1];
  return run ? (streams[run.runId] ?? []) : [];
}

export default function SessionBoard() {
  const { live, view, user } = useSession();
  const canOperate = roleAtLeast(user?.role, 'operator');
  const running = view.tasks.filter((task) => ['preparing', 'running', 'committing'].includes(task.status));
  const previews = usePreviews(view.id, running.length > 0);
  // A finished run's stream stays (collapsed) instead of vanishing with the live panel: the
  // newest few, whose lines this page has.
  const finished = view.tasks
    .filter((task) => !['queued', 'preparing', 'running', 'committing', 'retry_wait'].includes(task.status) && runLines(live.streams, task).length > 0)
    .slice(-KEPT_STREAMS)
    .reverse();
  // Plans still being made or waiting for approval, the newest failures, and the last approved one.
  const plans = view.plans ?? [];
  const lastApproved = plans.filter((plan) => plan.status === 'approved').at(-1);
  const openPlans = plans.filter((plan) => plan.status === 'planning' || plan.status === 'ready' || (plan.status === 'failed' && plans.filter((p) => p.status === 'failed').slice(-2).includes(plan)) || plan === lastApproved);
  return (
    <div className="space-y-5">
      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_340px]">
        <Card aria-labelledby="goal-title">
          <CardHeader title="What should the agents do?" id="goal-title" />
          <GoalBox sessionId={view.id} canAdd={canOperate} onAdded={() => void live.refresh()} onPlanned={() => void live.refresh()} />
        </Card>
        <ChatPanel doc={live.shared} readOnly={live.sharedReadOnly} user={user} />
      </div>

      {openPlans.length > 0 ? (
        <section aria-label="Plans" className="space-y-3">
          {openPlans.map((plan) => (
            <PlanPanel key={plan.planId} sessionId={view.id} plan={plan} doc={live.shared} readOnly={live.sharedReadOnly} canApprove={canOperate} />
          ))}
        </section>
      ) : null}

      <section aria-label="Task board" className="grid gap-3 sm:grid-cols-2 md:grid-cols-3 xl:grid-cols-5">
        {COLUMNS.map((column) => {
          const tasks = view.tasks.filter((task) => column.statuses.includes(task.status));
          return (
            <section key={column.id} aria-label={column.title} className="min-w-0 rounded-lg bg-zinc-100/80 p-2 dark:bg-zinc-900/60">
              <h2 className="flex items-center justify-between px-1 pb-2 text-xs font-semibold tracking-wide text-zinc-600 uppercase dark:text-zinc-400">
                {column.title}
                <span className="rounded-full bg-white px-1.5 text-zinc-700 tabular-nums dark:bg-zinc-800 dark:text-zinc-300">
                  <span className="sr-only">: </span>
                  {tasks.length}
                  <span className="sr-only"> {tasks.length === 1 ? 'task' : 'tasks'}</span>
                </span>
              </h2>
              <div className="space-y-2">
                {tasks.map((task) => (
                  <TaskCard key={task.id} sessionId={view.id} task={task} lastLine={runLines(live.streams, task).at(-1) ?? null} canCancel={canOperate} preview={previews.get(task.id) ?? null} ci={<CiBadges view={view} commit={task.commit} className="mt-2" />} requireApproval={view.requireApproval} />
                ))}
                {tasks.length === 0 ? <p className="px-1 py-3 text-center text-xs text-zinc-600 dark:text-zinc-400">No tasks</p> : null}
              </div>
            </section>
          );
        })}
      </section>

      <SavePreviewPanel sessionId={view.id} titleOf={(id) => view.tasks.find((task) => task.id === id)?.prompt ?? id} />

      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_340px]">
        <div className="min-w-0 space-y-4">
          {running.map((task) => (
            <Card key={task.id} aria-label={`Live output of ${task.prompt}`}>
              <CardHeader title={<span className="flex items-center gap-2"><span className="size-2 animate-pulse rounded-full bg-sky-500" aria-hidden />Live: <span className="font-mono text-xs font-normal">{task.agent} · {task.prompt.length > 80 ? `${task.prompt.slice(0, 80)}…` : task.prompt}</span></span>} />
              <AgentStream lines={runLines(live.streams, task)} label={`Agent stream for ${task.prompt}`} limit={MAX_STREAM_LINES} />
            </Card>
          ))}
          {finished.map((task) => (
            <details key={task.id} className="rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
              <summary className="cursor-pointer px-4 py-2.5 text-sm font-medium text-zinc-800 dark:text-zinc-200">
                Finished ({task.status.replace(/_/g, ' ')}): <span className="font-mono text-xs font-normal">{task.agent} · {task.prompt.length > 80 ? `${task.prompt.slice(0, 80)}…` : task.prompt}</span>
              </summary>
              <AgentStream lines={runLines(live.streams, task)} label={`Agent stream for ${task.prompt}`} limit={MAX_STREAM_LINES} />
            </details>
          ))}
          {running.length === 0 && finished.length === 0 ? (
            <p className="rounded-lg border border-dashed border-zinc-300 px-4 py-6 text-center text-sm text-zinc-600 dark:border-zinc-700 dark:text-zinc-400">
              No agent is running. Running agents stream their messages, commands and file changes here.
            </p>
          ) : null}
        </div>
        <MemoryPanel doc={live.shared} readOnly={live.sharedReadOnly} />
      </div>
    </div>
  );
}
