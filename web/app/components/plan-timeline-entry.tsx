import type { SessionView } from '../lib/api-types.js';
import { timeAgo } from './ui.js';

type PlanEntry = Extract<SessionView['timeline'][number], { kind: 'plan' }>;

const VERB: Record<PlanEntry['event'], string> = { requested: 'asked for', created: 'made', failed: 'failed', approved: 'approved' };

/** A plan on the timeline: asked for, made by the planner (or failed), approved with people's edits. */
export function PlanTimelineEntry({ entry }: { entry: PlanEntry }) {
  const edits = entry.edits;
  const changed = edits ? [edits.added.length && `${edits.added.length} added`, edits.removed.length && `${edits.removed.length} removed`, edits.changed.length && `${edits.changed.length} edited`, edits.reordered && 'reordered'].filter(Boolean) : [];
  return (
    <>
      <span className="font-medium">Plan</span> {VERB[entry.event]} <span className="text-zinc-500">by {entry.by}</span>: {entry.goal.length > 80 ? `${entry.goal.slice(0, 80)}…` : entry.goal}
      {entry.errorCode ? <code className="ml-1 font-mono text-xs text-rose-700 dark:text-rose-400">{entry.errorCode}</code> : null}
      {entry.taskIds ? <span className="block text-xs text-zinc-600 dark:text-zinc-400">{entry.taskIds.length} tasks started{changed.length > 0 ? `; people's edits: ${changed.join(', ')}` : ''}</span> : null}
      <span className="block text-xs text-zinc-500">{timeAgo(entry.at)}</span>
    </>
  );
}
