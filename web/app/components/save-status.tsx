import { Link } from 'react-router';
import type { GateResult, SessionView, StreamLine } from '../lib/api-types.js';
import { mainState } from '../lib/main-state.js';
import { GateLive, GateResults } from './gate-report.js';
import { SaveFailureDetail } from './save-failure.js';
import { shortHash, timeAgo } from './ui.js';

const STEPS = [
  { id: 'freeze', label: 'Freeze', phases: ['draining', 'started'] },
  { id: 'merge', label: 'Merge', phases: ['merging'] },
  { id: 'gates', label: 'Gates', phases: ['gating', 'blaming'] },
  { id: 'publish', label: 'Publish', phases: ['publishing'] },
] as const;

function stepIndex(phase: string): number {
  const index = STEPS.findIndex((step) => (step.phases as readonly string[]).includes(phase));
  return index < 0 ? 0 : index;
}

/** The live state of Save: the running phase, or how the last one ended. */
export function SaveStatus({ view, streams = {} }: { view: SessionView; streams?: Record<string, StreamLine[]> }) {
  const pending = view.pendingSave;
  if (pending) {
    const current = stepIndex(pending.phase);
    return (
      <div role="status" aria-label="Save status" className="flex flex-wrap items-center gap-3 text-sm">
        <span className="font-medium text-sky-700 dark:text-sky-300">Saving…</span>
        <ol className="flex items-center gap-1.5">
          {STEPS.map((step, index) => (
            <li key={step.id} className="flex items-center gap-1.5">
              <span
                aria-current={index === current ? 'step' : undefined}
                className={`rounded-full px-2 py-0.5 text-xs font-medium ${
                  index < current
                    ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300'
                    : index === current
                      ? 'animate-pulse bg-sky-100 text-sky-800 dark:bg-sky-950 dark:text-sky-300'
                      : 'bg-zinc-100 text-zinc-500 dark:bg-zinc-800'
                }`}
              >
                {step.label}
              </span>
              {index < STEPS.length - 1 ? <span aria-hidden className="h-px w-3 bg-zinc-300 dark:bg-zinc-700" /> : null}
            </li>
          ))}
        </ol>
        <span className="text-xs text-zinc-500">phase: {pending.phase}</span>
        <div className="basis-full">
          <GateLive view={view} streams={streams} />
        </div>
      </div>
    );
  }
  const last = view.lastSave;
  if (!last) {
    return (
      <p role="status" aria-label="Save status" className="text-sm text-zinc-500">
        Not saved yet in this session.
      </p>
    );
  }
  const result = last.result as { status: string; tag?: string; commit?: string; gates?: GateResult[] };
  if (result.status === 'published') {
    return (
      <p role="status" aria-label="Save status" className="flex flex-wrap items-center gap-2 text-sm">
        <span className="inline-flex items-center gap-1 font-medium text-emerald-700 dark:text-emerald-400">
          <span aria-hidden>●</span> Published
        </span>
        <code className="rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800">{result.tag}</code>
        <span className="text-zinc-500">commit</span>
        <code className="font-mono text-xs" title={result.commit}>
          {shortHash(result.commit)}
        </code>
        <span className="text-xs text-zinc-500">{timeAgo(last.completedAt)}</span>
      </p>
    );
  }
  if (result.status === 'conflict') {
    return (
      <p role="status" aria-label="Save status" className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-medium text-rose-700 dark:text-rose-400">Conflict</span>
        <span className="text-zinc-600 dark:text-zinc-400">Save stopped: two tasks changed the same lines.</span>
        <Link to={`/sessions/${view.id}/conflict`} className="font-medium text-indigo-600 underline dark:text-indigo-400">
          Open the conflict
        </Link>
      </p>
    );
  }
  if (result.status === 'gates_failed') {
    return (
      <div role="status" aria-label="Save status" className="text-sm">
        <span className="font-medium text-amber-700 dark:text-amber-400">Save stopped by a gate</span>
        <SaveFailureDetail result={last.result} />
        <GateResults result={last.result} view={view} />
      </div>
    );
  }
  if (result.status === 'nothing_to_save') {
    return (
      <p role="status" aria-label="Save status" className="text-sm text-zinc-500">
        Nothing to save: no task is ready for review.
      </p>
    );
  }
  return (
    <div role="status" aria-label="Save status" className="text-sm">
      <span className="font-medium text-rose-700 dark:text-rose-400">Save failed</span>{' '}
      <span className="text-xs text-zinc-600 dark:text-zinc-400">{timeAgo(last.completedAt)}</span>
      <SaveFailureDetail result={last.result} />
    </div>
  );
}

/**
 * Where main is when a rollback moved it after the last Save: the Save status alone would still
 * present the rolled-back checkpoint as what main holds.
 */
export function MainNow({ view }: { view: SessionView }) {
  const main = mainState(view);
  if (main?.source !== 'rollback') return null;
  return (
    <p role="status" aria-label="main branch" className="flex flex-wrap items-center gap-2 text-sm">
      <span className="font-medium text-sky-700 dark:text-sky-300">main</span>
      <span className="text-zinc-600 dark:text-zinc-400">is at</span>
      <code className="font-mono text-xs" title={main.commit}>
        {shortHash(main.commit)}
      </code>
      <span className="text-zinc-600 dark:text-zinc-400">
        restored from checkpoint <code className="font-mono text-xs">{main.checkpoint}</code> by {main.by}
      </span>
      <span className="text-xs text-zinc-500">{timeAgo(main.at)}</span>
    </p>
  );
}
