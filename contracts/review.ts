// The review loop (issue 13): approving a task's commit, requesting changes from the agent that
// made it, the session's approval rule, and what a rollback took off the base branch. The events
// are actor events (session-events.ts puts them in the unions); the views are parts of the task
// and session views.
import { z } from 'zod';

const id = z.string().min(1);

/**
 * A line comment of a review, as the session's shared document held it when changes were
 * requested (`comments` map, key `${taskId}:${path}:${line}`; `line` is the new side's line).
 * Logged inside the event, so replay never needs the document.
 */
export const ReviewCommentSchema = z.object({
  id: z.string().max(200),
  path: z.string().min(1).max(4096),
  line: z.number().int().positive(),
  text: z.string().max(20_000),
  by: z.string().max(200),
});
export type ReviewComment = z.infer<typeof ReviewCommentSchema>;

/** A reviewer approves a task ready for review, as of `commit` (a later commit needs a new approval). */
export const TaskApproveEventSchema = z.object({
  type: z.literal('TASK.APPROVE'), taskId: id, commit: z.string().regex(/^[0-9a-f]{40}$/), by: z.string(), at: z.string(),
});
/**
 * A reviewer sends a task back to the agent conversation that made it (resumed with the CLI's
 * session id when the last run left one), on the same branch. `prompt` is what the agent is told:
 * the message and the comments, composed by the runtime; `message` and `comments` are kept for
 * the review round.
 */
export const TaskRequestChangesEventSchema = z.object({
  type: z.literal('TASK.REQUEST_CHANGES'), taskId: id,
  message: z.string().max(20_000),
  comments: z.array(ReviewCommentSchema).max(500),
  prompt: z.string().max(200_000),
  by: z.string(), at: z.string(),
});
/** Session settings an operator changes after creation. */
export const SessionSettingsEventSchema = z.object({
  type: z.literal('SESSION.SETTINGS'), requireApproval: z.boolean(), by: z.string(), at: z.string(),
});
/**
 * A task whose merged work a rollback took off the base branch is queued to be merged again: its
 * branch now holds `commit`, the task's changes re-applied on top of the base branch.
 */
export const TaskReapplyEventSchema = z.object({
  type: z.literal('TASK.REAPPLY'), taskId: id, commit: z.string().regex(/^[0-9a-f]{40}$/), by: z.string(), at: z.string(),
});

export type TaskApproveEvent = z.infer<typeof TaskApproveEventSchema>;
export type TaskRequestChangesEvent = z.infer<typeof TaskRequestChangesEventSchema>;
export type SessionSettingsEvent = z.infer<typeof SessionSettingsEventSchema>;
export type TaskReapplyEvent = z.infer<typeof TaskReapplyEventSchema>;

export const TaskApprovalSchema = z.object({ commit: z.string(), by: z.string(), at: z.string() });
export type TaskApproval = z.infer<typeof TaskApprovalSchema>;

/** One request for changes and what came of it. */
export const ReviewRoundSchema = z.object({
  round: z.number().int().positive(),
  message: z.string(),
  comments: z.array(ReviewCommentSchema),
  by: z.string(),
  at: z.string(),
  /** The run that took the request (a resumed conversation when `resumed`). */
  runId: z.string(),
  resumed: z.boolean(),
  commitBefore: z.string().nullable(),
  /** The task's commit once the round's work was committed; null while it runs or when nothing changed. */
  commitAfter: z.string().nullable(),
});
export type ReviewRound = z.infer<typeof ReviewRoundSchema>;

export const TaskReviewSchema = z.object({
  /** The approval of the task's current commit, or null. */
  approved: TaskApprovalSchema.nullable(),
  rounds: z.array(ReviewRoundSchema),
});
export type TaskReview = z.infer<typeof TaskReviewSchema>;

/**
 * A merged task whose work a rollback took off the base branch. `reapply`: queued to be merged
 * again by the next Save (its branch holds the re-applied commit); `reworkedAs`: the new task that
 * runs its prompt again from the current base branch.
 */
export const TaskRevertedSchema = z.object({
  rollbackId: z.string(),
  checkpoint: z.string(),
  at: z.string(),
  reapply: TaskApprovalSchema.nullable(),
  reworkedAs: z.string().nullable(),
});
export type TaskReverted = z.infer<typeof TaskRevertedSchema>;

/** Timeline rows of the review loop. */
export const ReviewTimelineEntrySchemas = [
  z.object({
    kind: z.literal('task_review'), taskId: z.string(), decision: z.enum(['approved', 'changes_requested', 'rejected']),
    by: z.string(), at: z.string(), commit: z.string().nullable(), round: z.number().int().nullable(), comments: z.number().int(),
  }),
  z.object({ kind: z.literal('tasks_reverted'), rollbackId: z.string(), checkpoint: z.string(), taskIds: z.array(z.string()), at: z.string() }),
  z.object({
    kind: z.literal('task_reapply'), taskId: z.string(), action: z.enum(['reapply', 'rework', 'reapplied']),
    by: z.string(), at: z.string(), newTaskId: z.string().nullable(), saveId: z.string().nullable(),
  }),
  z.object({ kind: z.literal('session_settings'), requireApproval: z.boolean(), by: z.string(), at: z.string() }),
] as const;
