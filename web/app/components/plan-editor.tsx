import { useState } from 'react';
import type * as Y from 'yjs';
import { api, type ApiFailure } from '../lib/api.js';
import type { SessionView } from '../lib/api-types.js';
import { removePlanTask, setPlanField, usePlanDraft, type PlanTaskDraft } from '../lib/plan-doc.js';
import { ErrorNotice } from './error-notice.js';
import { Badge } from './status.js';
import { Button, Card, CardHeader, inputClass, labelClass, timeAgo } from './ui.js';

export type PlanRecord = NonNullable<SessionView['plans']>[number];

const STATUS: Record<PlanRecord['status'], { label: string; tone: string }> = {
  planning: { label: 'Planning', tone: 'sky' },
  ready: { label: 'Ready for approval', tone: 'amber' },
  failed: { label: 'Failed', tone: 'rose' },
  approved: { label: 'Approved', tone: 'emerald' },
};

/**
 * One plan: while the planner works, a note; when it failed, the error and its raw answer; when
 * ready, the shared editor (everyone with write access edits, reorders, adds and removes tasks
 * together) and, for operators, Approve; once approved, what it started.
 */
export function PlanPanel({ sessionId, plan, doc, readOnly, canApprove }: { sessionId: string; plan: PlanRecord; doc: Y.Doc | null; readOnly: boolean; canApprove: boolean }) {
  const draft = usePlanDraft(doc, plan.planId);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  const status = STATUS[plan.status];

  /** Adding and moving go through the runtime (only it creates task maps); the change arrives live. */
  async function structural(path: string, body: unknown) {
    setError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/plans/${plan.planId}${path}`, body);
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  }

  async function approve() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/plans/${plan.planId}/approve`, {});
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card aria-label={`Plan: ${plan.goal}`}>
      <CardHeader title={<span className="flex items-center gap-2">Plan <span className="font-normal text-zinc-600 dark:text-zinc-400">{plan.goal.length > 90 ? `${plan.goal.slice(0, 90)}…` : plan.goal}</span></span>}>
        <Badge tone={status.tone} pulse={plan.status === 'planning'}>{status.label}</Badge>
      </CardHeader>
      <div className="space-y-3 p-4 text-sm">
        {plan.status === 'planning' ? (
          <p role="status" className="text-zinc-600 dark:text-zinc-400">{plan.agent} is reading the repository (read-only) and writing a plan…</p>
        ) : null}
        {plan.status === 'failed' && plan.error ? (
          <div role="alert" className="space-y-2">
            <p className="text-rose-800 dark:text-rose-300">
              The planner did not produce a usable plan <code className="ml-1 rounded bg-rose-100 px-1 py-0.5 font-mono text-xs dark:bg-rose-900/60">{plan.error.code}</code>
            </p>
            <p className="text-xs text-zinc-700 dark:text-zinc-300">{plan.error.message}</p>
            {plan.raw !== null ? (
              <details open>
                <summary className="cursor-pointer text-xs font-medium">Raw planner output</summary>
                <pre aria-label="Raw planner output" className="mt-1 max-h-64 overflow-auto rounded bg-zinc-100 p-2 font-mono text-xs whitespace-pre-wrap dark:bg-zinc-800">{plan.raw}</pre>
              </details>
            ) : null}
          </div>
        ) : null}
        {plan.status === 'ready' ? (
          <>
            {plan.plan?.summary ? <p className="text-zinc-700 dark:text-zinc-300">{plan.plan.summary}</p> : null}
            {draft === null ? <p className="text-zinc-600 dark:text-zinc-400">Loading the shared plan…</p> : null}
            {draft !== null && doc ? <PlanTaskList doc={doc} planId={plan.planId} tasks={draft} readOnly={readOnly} move={(id, to) => void structural(`/tasks/${encodeURIComponent(id)}/move`, { to })} /> : null}
            <div className="flex flex-wrap items-center gap-3">
              {doc && !readOnly ? <Button onClick={() => void structural('/tasks', {})}>Add task</Button> : null}
              <Button variant="primary" onClick={() => void approve()} disabled={!canApprove} aria-disabled={busy || undefined}>
                {busy ? 'Approving…' : 'Approve plan'}
              </Button>
              {!canApprove ? <span className="text-xs text-zinc-600 dark:text-zinc-400">Approving a plan needs the operator role.</span> : null}
            </div>
          </>
        ) : null}
        {plan.status === 'approved' && plan.approval ? (
          <p className="text-zinc-700 dark:text-zinc-300">
            Approved by {plan.approval.by} {timeAgo(plan.approval.at)}: {Object.keys(plan.approval.taskIds).length} tasks started in dependency order.
          </p>
        ) : null}
        <ErrorNotice error={error} title="Plan not approved" onDismiss={() => setError(null)} />
      </div>
    </Card>
  );
}

function PlanTaskList({ doc, planId, tasks, readOnly, move }: { doc: Y.Doc; planId: string; tasks: PlanTaskDraft[]; readOnly: boolean; move: (taskId: string, to: number) => void }) {
  return (
    <ol aria-label="Plan tasks" className="space-y-3">
      {tasks.map((task, index) => {
        const field = (name: 'title' | 'prompt' | 'acceptance' | 'agent') => `plan-${planId}-${index}-${name}`;
        return (
          <li key={`${task.id}-${index}`} aria-label={`Plan task ${task.id}`} className="rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
            <div className="mb-2 flex items-center justify-between gap-2">
              <span className="font-mono text-xs text-zinc-600 dark:text-zinc-400">{index + 1}. {task.id}</span>
              {!readOnly ? (
                <span className="flex gap-1">
                  <Button variant="ghost" aria-label={`Move ${task.id} up`} disabled={index === 0} onClick={() => move(task.id, index - 1)}>↑</Button>
                  <Button variant="ghost" aria-label={`Move ${task.id} down`} disabled={index === tasks.length - 1} onClick={() => move(task.id, index + 1)}>↓</Button>
                  <Button variant="ghost" aria-label={`Remove ${task.id}`} onClick={() => removePlanTask(doc, planId, index)}>Remove</Button>
                </span>
              ) : null}
            </div>
            <div className="grid gap-2 md:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
              <div>
                <label htmlFor={field('title')} className={labelClass}>Title</label>
                <input id={field('title')} className={inputClass} value={task.title} readOnly={readOnly} onChange={(e) => setPlanField(doc, planId, index, 'title', e.target.value)} />
              </div>
              <div>
                <label htmlFor={field('agent')} className={labelClass}>Agent</label>
                <input id={field('agent')} className={inputClass} value={task.agent ?? ''} placeholder="session's choice" readOnly={readOnly} onChange={(e) => setPlanField(doc, planId, index, 'agent', e.target.value.trim() === '' ? null : e.target.value.trim())} />
              </div>
            </div>
            <label htmlFor={field('prompt')} className={`${labelClass} mt-2`}>Instructions</label>
            <textarea id={field('prompt')} rows={2} className={`${inputClass} resize-y`} value={task.prompt} readOnly={readOnly} onChange={(e) => setPlanField(doc, planId, index, 'prompt', e.target.value)} />
            <label htmlFor={field('acceptance')} className={`${labelClass} mt-2`}>Acceptance</label>
            <input id={field('acceptance')} className={inputClass} value={task.acceptance} readOnly={readOnly} onChange={(e) => setPlanField(doc, planId, index, 'acceptance', e.target.value)} />
            {tasks.length > 1 ? (
              <fieldset className="mt-2">
                <legend className={labelClass}>Starts after</legend>
                <div className="flex flex-wrap gap-3">
                  {tasks.filter((other) => other.id !== task.id).map((other) => (
                    <label key={other.id} className="flex items-center gap-1 text-xs">
                      <input
                        type="checkbox"
                        aria-label={`${task.id} starts after ${other.id}`}
                        checked={task.dependsOn.includes(other.id)}
                        disabled={readOnly}
                        onChange={(e) => setPlanField(doc, planId, index, 'dependsOn', e.target.checked ? [...task.dependsOn, other.id] : task.dependsOn.filter((d) => d !== other.id))}
                      />
                      <span className="font-mono">{other.id}</span>
                    </label>
                  ))}
                </div>
              </fieldset>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}
