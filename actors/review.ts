// The review loop's decisions that the session machine takes from its own context: which tasks a
// Save merges under `requireApproval`, and which merged tasks a rollback took off the base branch.
// Pure functions of the context, so replay decides exactly as the live session did.
import type { Checkpoint, TaskReverted, TaskStatus } from '../contracts/index.js';

/** The parts of the session context these decisions read. */
export interface ReviewContext {
  sessionId: string;
  taskOrder: string[];
  taskStatus: Record<string, TaskStatus>;
  taskCommits: Record<string, string | null>;
  checkpoints: Checkpoint[];
  requireApproval?: boolean;
  /** taskId -> the commit a reviewer approved. */
  approvals?: Record<string, string>;
  reverted?: Record<string, TaskReverted>;
}

/** Ready for review with a commit: work a Save could merge. */
export function readyWithWork(context: ReviewContext): string[] {
  return context.taskOrder.filter((id) => context.taskStatus[id] === 'ready_for_review' && (context.taskCommits[id] ?? null) !== null);
}

/** Approved as of its current commit (a later commit needs a new approval). */
export function isApproved(context: ReviewContext, taskId: string): boolean {
  const commit = context.taskCommits[taskId] ?? null;
  return commit !== null && context.approvals?.[taskId] === commit;
}

/** Merged tasks queued to be merged again after a rollback. */
export function reapplyQueued(context: ReviewContext): string[] {
  return context.taskOrder.filter((id) => context.taskStatus[id] === 'merged' && (context.reverted?.[id]?.reapply ?? null) !== null);
}

/** What a Save merges: ready work (approved only, under requireApproval) and queued re-applies, in creation order. */
export function mergeable(context: ReviewContext): string[] {
  const ready = new Set(readyWithWork(context).filter((id) => !context.requireApproval || isApproved(context, id)));
  for (const id of reapplyQueued(context)) ready.add(id);
  return context.taskOrder.filter((id) => ready.has(id));
}

/** Ready work a Save leaves out because it is not approved. */
export function leftOutUnapproved(context: ReviewContext): string[] {
  if (!context.requireApproval) return [];
  return readyWithWork(context).filter((id) => !isApproved(context, id));
}

const CHECKPOINT_TAG = /^checkpoint\/(\d{4}-\d{2}-\d{2})-(\d+)$/;

/**
 * Orders checkpoint tags by name: the engine names them `checkpoint/{date}-{seq}` for the whole
 * repository, so a later name is a later checkpoint. Null when either is not such a tag.
 */
export function compareCheckpointTags(a: string, b: string): number | null {
  const x = CHECKPOINT_TAG.exec(a);
  const y = CHECKPOINT_TAG.exec(b);
  if (!x || !y) return null;
  if (x[1] !== y[1]) return (x[1] ?? '') < (y[1] ?? '') ? -1 : 1;
  return Number(x[2]) - Number(y[2]);
}

/**
 * The merged tasks whose work is not on the base branch once it is restored to `target`: those
 * whose latest merge is in one of this session's checkpoints after `target`. The session's own
 * start tag is before all of them; another tag is placed by its name.
 */
export function revertedByRestore(context: ReviewContext, target: string): string[] {
  const index = context.checkpoints.findIndex((checkpoint) => checkpoint.tag === target);
  const after = (position: number, checkpoint: Checkpoint): boolean => {
    if (index >= 0) return position > index;
    if (target === `session-start/${context.sessionId}`) return true;
    return (compareCheckpointTags(checkpoint.tag, target) ?? 0) > 0;
  };
  // A task merged again later (re-applied) counts by its latest merge.
  const latest = new Map<string, number>();
  context.checkpoints.forEach((checkpoint, position) => {
    for (const id of checkpoint.mergedTaskIds) latest.set(id, position);
  });
  return context.taskOrder.filter((id) => {
    const position = latest.get(id);
    const checkpoint = position === undefined ? undefined : context.checkpoints[position];
    return context.taskStatus[id] === 'merged' && checkpoint !== undefined && position !== undefined && after(position, checkpoint);
  });
}
