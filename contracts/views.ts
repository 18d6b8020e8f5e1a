// The session, task and run views the API serves, `thalogos replay` prints and the console
// renders. actors/describe-session.ts builds them from a snapshot; tests parse API replies with
// these schemas, and the console imports the types from here.
import { z } from 'zod';
import { PlanEditsSchema, PlanRecordSchema } from './plan.js';
import { EnvironmentRollbackRecordSchema, PendingPromotionSchema, PromotionRecordSchema } from './promotion.js';
import { CodedErrorSchema, RollbackModeSchema, RollbackResultSchema, SaveResultSchema } from './save.js';
import { ReviewTimelineEntrySchemas, TaskReviewSchema, TaskRevertedSchema } from './review.js';
import { AgentErrorSchema, AgentOutcomeSchema, AgentUsageSchema, CiStateSchema, PermissionRequestSchema, SaveGateStepSchema, SessionStatusSchema, TaskChangesSchema, TaskStatusSchema } from './session-events.js';

/** What a fallback agent is told about the run it takes over from. */
export const HandoffSchema = z.object({ fromRunId: z.string(), fromAgent: z.string(), finalMessage: z.string().nullable(), reason: z.string() });
export type Handoff = z.infer<typeof HandoffSchema>;

/** Continue an interrupted run where the adapter supports it. */
export const ResumeFromSchema = z.object({ runId: z.string(), resumeToken: z.string() });
export type ResumeFrom = z.infer<typeof ResumeFromSchema>;

export const RunViewSchema = z.object({
  runId: z.string(),
  agent: z.string(),
  attempt: z.number().int(),
  /** null while the run is in flight. */
  outcome: z.union([AgentOutcomeSchema, z.literal('interrupted')]).nullable(),
  /** The agent actor's state while in flight (starting, running, cancelling, timing_out), else null. */
  state: z.string().nullable(),
  finalMessage: z.string().nullable(),
  lastMessage: z.string().nullable(),
  error: AgentErrorSchema.nullable(),
  usage: AgentUsageSchema,
  eventCounts: z.record(z.string(), z.number()),
  cliVersion: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  handoff: HandoffSchema.nullable(),
  resume: ResumeFromSchema.nullable(),
});
export type RunView = z.infer<typeof RunViewSchema>;

export const TaskErrorSchema = z.object({
  /** AGENTS_EXHAUSTED, WORKTREE_FAILED, SETUP_FAILED, COMMIT_FAILED, REWORK_FAILED. */
  code: z.string(),
  message: z.string(),
  /** The agent that failed last, or null when no agent was involved. */
  agent: z.string().nullable(),
  /** Run ids of every run of the task, in order. */
  runs: z.array(z.string()),
  cause: CodedErrorSchema.nullable(),
});
export type TaskError = z.infer<typeof TaskErrorSchema>;

export const TaskClosureSchema = z.object({ by: z.string(), at: z.string(), reason: z.string().nullable() });
export type TaskClosure = z.infer<typeof TaskClosureSchema>;

export const TaskMergeSchema = z.object({ saveId: z.string(), tag: z.string(), at: z.string() });
export type TaskMerge = z.infer<typeof TaskMergeSchema>;

/** A rework instruction (e.g. a conflict hand-off): the task keeps its goal beside it. */
export const TaskReworkSchema = z.object({ prompt: z.string(), by: z.string(), at: z.string() });
export type TaskRework = z.infer<typeof TaskReworkSchema>;

/** A conflict people resolved on the task's branch. */
export const TaskResolutionSchema = z.object({ saveId: z.string(), commit: z.string(), by: z.string(), at: z.string(), files: z.array(z.string()) });
export type TaskResolution = z.infer<typeof TaskResolutionSchema>;

export const TaskViewSchema = z.object({
  id: z.string(),
  status: TaskStatusSchema,
  /** The task's goal, as it was stated (a rework does not replace it). */
  prompt: z.string(),
  /** The current agent, or the last one that ran. */
  agent: z.string(),
  agentOrder: z.array(z.string()),
  /** Attempt number of the current (or last) run on its agent; 0 before the first run. */
  attempt: z.number().int(),
  runs: z.array(RunViewSchema),
  worktreePath: z.string().nullable(),
  branch: z.string().nullable(),
  baseCommit: z.string().nullable(),
  commit: z.string().nullable(),
  changes: TaskChangesSchema.nullable(),
  error: TaskErrorSchema.nullable(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  /** The newest agent message of the newest run that has one. */
  lastMessage: z.string().nullable(),
  /** Sum over all runs. */
  usage: AgentUsageSchema,
  closed: TaskClosureSchema.nullable(),
  merged: TaskMergeSchema.nullable(),
  rework: TaskReworkSchema.nullable(),
  resolutions: z.array(TaskResolutionSchema),
  /** Approval of the current commit and the review rounds (requests for changes). */
  review: TaskReviewSchema,
  /** Set while a rollback has taken the task's merged work off the base branch. */
  reverted: TaskRevertedSchema.nullable(),
  /** The task whose prompt this one runs again after a rollback, or null. */
  reworkOf: z.string().nullable(),
  /** Tasks this one starts after (from a plan); absent for tasks without dependencies. */
  dependsOn: z.array(z.string()).optional(),
  /** The plan the task came from. */
  planId: z.string().optional(),
});
export type TaskView = z.infer<typeof TaskViewSchema>;

export const CheckpointSchema = z.object({ tag: z.string(), commit: z.string(), at: z.string(), saveId: z.string(), mergedTaskIds: z.array(z.string()) });
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export const PendingSaveSchema = z.object({
  saveId: z.string(), requestedAt: z.string(), requestedBy: z.string(), phase: z.string(), taskIds: z.array(z.string()),
  /** Tasks ready for review with changes that this Save leaves out because they are not approved (requireApproval). */
  leftOut: z.array(z.string()).optional(),
  /** The gate running now (phase `gating`); its output streams in the state document as run `save.{saveId}.gate-{index}`. */
  gate: SaveGateStepSchema.optional(),
  /** Set when people chose the tasks to merge (`taskIds` then holds them from the start). */
  chosen: z.boolean().optional(),
});
export type PendingSave = z.infer<typeof PendingSaveSchema>;

export const SaveRecordSchema = z.object({
  saveId: z.string(), requestedAt: z.string(), requestedBy: z.string(), completedAt: z.string(), taskIds: z.array(z.string()), result: SaveResultSchema,
  /** Ready tasks the Save did not merge because they were not approved (requireApproval). */
  leftOut: z.array(z.string()).optional(),
});
export type SaveRecord = z.infer<typeof SaveRecordSchema>;

export const PendingRollbackSchema = z.object({
  rollbackId: z.string(), checkpoint: z.string(), mode: RollbackModeSchema, requestedAt: z.string(), requestedBy: z.string(),
});
export type PendingRollback = z.infer<typeof PendingRollbackSchema>;

export const RollbackRecordSchema = PendingRollbackSchema.extend({ completedAt: z.string(), result: RollbackResultSchema });
export type RollbackRecord = z.infer<typeof RollbackRecordSchema>;

/** A live ACP agent's permission request nobody has answered yet. */
export const PendingPermissionSchema = z.object({
  taskId: z.string(), runId: z.string(), request: PermissionRequestSchema, expiresAt: z.string(), at: z.string(),
});
export type PendingPermission = z.infer<typeof PendingPermissionSchema>;

export const TimelineEntrySchema = z.discriminatedUnion('kind', [
  SaveRecordSchema.extend({ kind: z.literal('save') }),
  RollbackRecordSchema.extend({ kind: z.literal('rollback') }),
  z.object({ kind: z.literal('review_resumed'), at: z.string(), by: z.string() }),
  z.object({ kind: z.literal('conflict_resolved'), taskId: z.string(), saveId: z.string(), commit: z.string(), at: z.string(), by: z.string() }),
  PromotionRecordSchema.extend({ kind: z.literal('promotion') }),
  EnvironmentRollbackRecordSchema.extend({ kind: z.literal('environment_rollback') }),
  ...ReviewTimelineEntrySchemas,
  /** A plan was asked for, created or failed, or approved (with people's edits and the tasks it added). */
  z.object({
    kind: z.literal('plan'), planId: z.string(), event: z.enum(['requested', 'created', 'failed', 'approved']), goal: z.string(), at: z.string(), by: z.string(),
    errorCode: z.string().optional(), taskIds: z.array(z.string()).optional(), edits: PlanEditsSchema.optional(),
  }),
  /** Who answered an ACP agent's permission request (a member, `timeout` or `thalogos`). */
  z.object({ kind: z.literal('permission'), taskId: z.string(), runId: z.string(), requestId: z.string(), title: z.string(),
    decision: z.enum(['allowed', 'denied']), reason: z.string().nullable(), at: z.string(), by: z.string() }),
  /** A person's message to a live ACP agent. */
  z.object({ kind: z.literal('agent_message'), taskId: z.string(), runId: z.string(), text: z.string(), delivery: z.enum(['next_turn', 'interrupt']), at: z.string(), by: z.string() }),
]);
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

/** Why a session is quarantined: the first log entry its actor could not apply. */
export const SessionDamageSchema = z.object({ seq: z.number().int().positive(), type: z.string(), reason: z.string() });
export type SessionDamage = z.infer<typeof SessionDamageSchema>;

/** A session's status as the API shows it: the machine's state, or `damaged` while quarantined. */
export const SessionViewStatusSchema = z.union([SessionStatusSchema, z.literal('damaged')]);
export type SessionViewStatus = z.infer<typeof SessionViewStatusSchema>;

export const CiStatusSchema = z.object({
  state: CiStateSchema, url: z.string().nullable(), description: z.string().nullable(), at: z.string(), by: z.string(),
});
export type CiStatus = z.infer<typeof CiStatusSchema>;

export const SessionViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  repoPath: z.string(),
  /** The branch the session works from and publishes to (null: main, or master, in older sessions). */
  baseBranch: z.string().nullable(),
  /** CI verdicts reported on commits (tasks', checkpoints'): commit -> context -> status. */
  ciStatuses: z.record(z.string(), z.record(z.string(), CiStatusSchema)),
  status: SessionViewStatusSchema,
  createdAt: z.string(),
  createdBy: z.string(),
  agentOrder: z.array(z.string()),
  maxParallel: z.number().int(),
  /** Only approved tasks merge on Save; the others wait (false in sessions from before the setting). */
  requireApproval: z.boolean(),
  tasks: z.array(TaskViewSchema),
  checkpoints: z.array(CheckpointSchema),
  timeline: z.array(TimelineEntrySchema),
  lastSave: SaveRecordSchema.nullable(),
  pendingSave: PendingSaveSchema.nullable(),
  pendingRollback: PendingRollbackSchema.nullable(),
  /** Promotions waiting for approvals or running, oldest first (finished ones are on the timeline). */
  pendingPromotions: z.array(PendingPromotionSchema),
  /** Plans asked for in this session, oldest first (absent in views from before plans). */
  plans: z.array(PlanRecordSchema).optional(),
  /** ACP permission requests of runs in flight, oldest first (answered ones are on the timeline). */
  pendingPermissions: z.array(PendingPermissionSchema).optional(),
  /** Set while the session is quarantined; the rest of the view is its state before that entry. */
  damage: SessionDamageSchema.nullable(),
});
export type SessionView = z.infer<typeof SessionViewSchema>;

export const SessionSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  repoPath: z.string(),
  status: SessionViewStatusSchema,
  createdAt: z.string(),
  taskCounts: z.record(z.string(), z.number()),
  damage: SessionDamageSchema.nullable(),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;
