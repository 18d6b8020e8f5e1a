// Every event the runtime may log and deliver to a session actor. These are the "actor event" log
// entries: replay feeds them, validated against these schemas, to the pure machines. An entry that
// does not parse is never delivered; its session is quarantined instead (see log-entries.ts).
import { z } from 'zod';
import { MAX_PLAN_RAW, PlanEditsSchema, PlanSchema } from './plan.js';
import { ApprovalRuleSchema, PromotionResultSchema } from './promotion.js';
import { CodedErrorSchema, ConflictChoiceSchema, RollbackModeSchema, RollbackResultSchema, SaveResultSchema } from './save.js';
import { SessionSettingsEventSchema, TaskApproveEventSchema, TaskReapplyEventSchema, TaskRequestChangesEventSchema } from './review.js';

export const TaskStatusSchema = z.enum([
  'queued', 'preparing', 'running', 'retry_wait', 'committing', 'ready_for_review',
  'merged', 'rejected', 'failed', 'cancelled', 'interrupted',
]);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

export const SessionStatusSchema = z.enum(['idle', 'active', 'frozen', 'saving', 'awaiting_review']);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

export const AgentOutcomeSchema = z.enum(['succeeded', 'failed', 'cancelled', 'timed_out']);
export type AgentOutcome = z.infer<typeof AgentOutcomeSchema>;

/** An agent failure as the adapter reports it; `transient` failures are retried on the same agent. */
export const AgentErrorSchema = z.object({ code: z.string(), message: z.string(), transient: z.boolean() });
export type AgentError = z.infer<typeof AgentErrorSchema>;

export const AgentUsageSchema = z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() });
export type AgentUsage = z.infer<typeof AgentUsageSchema>;

export const TaskChangesSchema = z.object({
  filesChanged: z.number().int().nonnegative(),
  insertions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  files: z.array(z.string()),
});
export type TaskChanges = z.infer<typeof TaskChangesSchema>;

const id = z.string().min(1);
const taskScoped = { taskId: id };
const runScoped = { taskId: id, runId: id };
const optionalAt = z.string().optional();

/** A normalised adapter event. Only `message` (text) and `usage` are interpreted by the machines. */
export const AgentStreamEventSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  inputTokens: z.number().nullable().optional(),
  outputTokens: z.number().nullable().optional(),
  costUsd: z.number().nullable().optional(),
});
export type AgentStreamEvent = z.infer<typeof AgentStreamEventSchema>;

export const AgentStartedEventSchema = z.object({
  type: z.literal('AGENT.STARTED'), ...runScoped,
  cliVersion: z.string().nullable(),
  resumeToken: z.string().nullable().optional(),
  /** The process id (and group id) of the CLI: lets a restart stop a run orphaned by a crash. */
  pid: z.number().int().nullable().optional(),
  /** What the agent was told (task, shared memory, hand-off): kept for the audit, not interpreted. */
  prompt: z.string().optional(),
  at: optionalAt,
});
export const AgentStreamedEventSchema = z.object({ type: z.literal('AGENT.EVENT'), ...runScoped, event: AgentStreamEventSchema });
/** The CLI's session/thread id, as soon as the adapter learns it: a crash later can still resume. */
export const AgentResumableEventSchema = z.object({ type: z.literal('AGENT.RESUMABLE'), ...runScoped, resumeToken: z.string() });
export const AgentExitedEventSchema = z.object({
  type: z.literal('AGENT.EXITED'), ...runScoped,
  outcome: AgentOutcomeSchema,
  exitCode: z.number().int().nullable(),
  finalMessage: z.string().nullable(),
  error: AgentErrorSchema.nullable().optional(),
  /** Some CLIs only reveal their session (resume) token at exit. */
  resumeToken: z.string().nullable().optional(),
  cliVersion: z.string().nullable().optional(),
  at: optionalAt,
});
export const AgentTimeoutEventSchema = z.object({ type: z.literal('AGENT.TIMEOUT'), ...runScoped });
export const AgentCancelEventSchema = z.object({ type: z.literal('AGENT.CANCEL'), ...runScoped, reason: z.string() });

/** An ACP agent's permission request (adapters/acp-control.ts), as people on the session see it. */
export const PermissionRequestSchema = z.object({
  requestId: id,
  toolCallId: z.string().max(500),
  title: z.string().max(2000),
  toolKind: z.string().max(100).nullable(),
  locations: z.array(z.string().max(4096)).max(100),
  detail: z.string().max(8_000).nullable(),
  options: z.array(z.object({ optionId: z.string().max(200), name: z.string().max(500), kind: z.enum(['allow_once', 'allow_always', 'reject_once', 'reject_always']) })).max(20),
});
export type PermissionRequestRecord = z.infer<typeof PermissionRequestSchema>;
/** A live ACP run asked the people on the session; unanswered by `expiresAt`, it is denied. */
export const AgentPermissionRequestedEventSchema = z.object({
  type: z.literal('AGENT.PERMISSION_REQUESTED'), ...runScoped, request: PermissionRequestSchema, expiresAt: z.string(), at: z.string(),
});
/**
 * The answer to a permission request: `by` is the member who decided (the log entry's actor), or
 * `timeout` (nobody answered in time), or `thalogos` (the turn or the run ended first).
 */
export const AgentPermissionDecidedEventSchema = z.object({
  type: z.literal('AGENT.PERMISSION_DECIDED'), ...runScoped, requestId: id,
  decision: z.enum(['allowed', 'denied']), optionId: z.string().max(200).nullable(), reason: z.string().max(2000).nullable(),
  by: z.string(), at: z.string(),
});
/** A person's message to a live ACP agent: delivered as its next turn, or interrupting the current one. */
export const AgentMessageEventSchema = z.object({
  type: z.literal('AGENT.MESSAGE'), ...runScoped, text: z.string().min(1).max(16_000), delivery: z.enum(['next_turn', 'interrupt']), by: z.string(), at: z.string(),
});

export const TaskWorktreeReadyEventSchema = z.object({
  type: z.literal('TASK.WORKTREE_READY'), ...taskScoped, worktreePath: z.string(), branch: z.string(), baseCommit: z.string(),
});
export const TaskWorktreeFailedEventSchema = z.object({ type: z.literal('TASK.WORKTREE_FAILED'), ...taskScoped, error: CodedErrorSchema });
/**
 * A new task worktree is being made ready (`.thalogos.json`'s `copy` and `setup`, read from the
 * task's start commit): which local files were copied in (and which skipped, and why), and which
 * setup commands run now, before the agent starts. Logged for the audit; the task stays preparing.
 */
export const TaskSetupStartedEventSchema = z.object({
  type: z.literal('TASK.SETUP_STARTED'), ...taskScoped,
  commands: z.array(z.string().max(4096)).max(50),
  copied: z.array(z.string().max(4096)).max(1000),
  skipped: z.array(z.object({ path: z.string().max(4096), reason: z.string().max(500) })).max(1000),
  at: z.string(),
});
/** Output of setup command `index`, as it is written (chunks of at most 8 KiB, in `seq` order). */
export const TaskSetupOutputEventSchema = z.object({
  type: z.literal('TASK.SETUP_OUTPUT'), ...taskScoped,
  index: z.number().int().nonnegative(),
  seq: z.number().int().positive(),
  stream: z.enum(['stdout', 'stderr']),
  text: z.string().max(8 * 1024),
  at: z.string(),
});
/** Setup could not make the worktree ready: the task fails with SETUP_FAILED (a person can retry it). */
export const TaskSetupFailedEventSchema = z.object({
  type: z.literal('TASK.SETUP_FAILED'), ...taskScoped,
  error: CodedErrorSchema,
  /** The failing command and its place in `setup`, or null when no command ran (a bad config). */
  command: z.string().max(4096).nullable(),
  index: z.number().int().nonnegative().nullable(),
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  /** The command's output, bounded (64 KiB head and tail, plus room for redaction's markers). */
  output: z.string().max(96 * 1024),
  at: z.string(),
});
export const TaskCommittedEventSchema = z.object({
  type: z.literal('TASK.COMMITTED'), ...taskScoped, commit: z.string().nullable(), changes: TaskChangesSchema,
});
export const TaskCommitFailedEventSchema = z.object({ type: z.literal('TASK.COMMIT_FAILED'), ...taskScoped, error: CodedErrorSchema });
export const TaskRetryDueEventSchema = z.object({ type: z.literal('TASK.RETRY_DUE'), ...taskScoped });
export const TaskCancelEventSchema = z.object({ type: z.literal('TASK.CANCEL'), ...taskScoped, by: z.string(), at: z.string() });
export const TaskRejectEventSchema = z.object({
  type: z.literal('TASK.REJECT'), ...taskScoped, by: z.string(), at: z.string(), reason: z.string().optional(),
});
/**
 * Sends a task that is ready for review back to work in its own worktree with a new instruction
 * (e.g. "merge the integration and resolve these conflicts"), trying agents in `agentOrder`. The
 * task keeps its goal; the instruction is recorded beside it.
 */
export const TaskReworkEventSchema = z.object({
  type: z.literal('TASK.REWORK'), ...taskScoped, prompt: z.string(), agentOrder: z.array(z.string()), by: z.string(), at: z.string(),
});
/** People resolved a Save's conflict on this task's branch: the branch now holds `commit`. */
export const ConflictResolvedEventSchema = z.object({
  type: z.literal('TASK.CONFLICT_RESOLVED'), ...taskScoped,
  saveId: z.string(),
  commit: z.string(),
  ours: z.string(),
  theirs: z.string(),
  resolutions: z.array(ConflictChoiceSchema),
  by: z.string(),
  at: z.string(),
});
/** Sent by the runtime after a crash to tasks that were preparing/running/committing/retry_wait. */
export const TaskInterruptEventSchema = z.object({ type: z.literal('TASK.INTERRUPT'), ...taskScoped, reason: z.string().optional(), at: optionalAt });
export const TaskRequeueEventSchema = z.object({ type: z.literal('TASK.REQUEUE'), ...taskScoped, at: optionalAt });

export const TaskAddEventSchema = z.object({
  type: z.literal('TASK.ADD'), ...taskScoped,
  prompt: z.string(),
  /** The requested agent; it goes first in the task's agent order. */
  agent: z.string().nullable(),
  /** Fallback order for this task; empty means the session's order. */
  agentOrder: z.array(z.string()),
  at: z.string(),
  by: z.string(),
  /** Set when this task runs again the prompt of a task whose work a rollback took off the base branch. */
  reworkOf: z.string().min(1).optional(),
  /** Session task ids this task starts after (a plan's dependencies): it is dispatched once each is ready, from their merged work. */
  dependsOn: z.array(id).max(50).optional(),
  /** The plan the task came from. */
  planId: id.optional(),
});
export const SaveRequestEventSchema = z.object({
  type: z.literal('SAVE.REQUEST'), saveId: id, at: z.string(), by: z.string(),
  /** A Save of chosen tasks: only these are merged (each ready for review), without waiting for the others. */
  taskIds: z.array(id).min(1).max(500).optional(),
});
/** Which gate of how many a Save is running (with `phase: 'gating'`). */
export const SaveGateStepSchema = z.object({ index: z.number().int().nonnegative(), total: z.number().int().positive(), command: z.string().max(10_000) });
export const SaveProgressEventSchema = z.object({ type: z.literal('SAVE.PROGRESS'), saveId: id, phase: z.string(), gate: SaveGateStepSchema.optional() });
export const SaveCompletedEventSchema = z.object({ type: z.literal('SAVE.COMPLETED'), saveId: id, result: SaveResultSchema, at: z.string() });
/** A CI system's verdict on a commit (a task's, the integration's or a checkpoint's), per context. */
export const CiStateSchema = z.enum(['pending', 'success', 'failure', 'error']);
export const CiStatusEventSchema = z.object({
  type: z.literal('CI.STATUS'),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  context: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/),
  state: CiStateSchema,
  url: z.string().url().max(2000).nullable(),
  description: z.string().max(500).nullable(),
  at: z.string(),
  by: z.string(),
});
export const ReviewResumeEventSchema = z.object({ type: z.literal('REVIEW.RESUME'), at: z.string(), by: z.string() });
export const RollbackRequestEventSchema = z.object({
  type: z.literal('ROLLBACK.REQUEST'), rollbackId: id, checkpoint: z.string(), mode: RollbackModeSchema, at: z.string(), by: z.string(),
});
export const RollbackCompletedEventSchema = z.object({
  type: z.literal('ROLLBACK.COMPLETED'), rollbackId: id, result: RollbackResultSchema, at: z.string(),
});

/**
 * A promotion of a checkpoint to an environment. `required` is the environment's approval rule as
 * `.thalogos.json` said when it was asked for (null: it runs at once).
 */
export const PromotionRequestEventSchema = z.object({
  type: z.literal('PROMOTION.REQUEST'), promotionId: id, checkpoint: z.string(), environment: z.string(),
  required: ApprovalRuleSchema.nullable(), at: z.string(), by: z.string(),
});
/** A member approved a pending promotion; the one that reaches the count starts it. */
export const PromotionApproveEventSchema = z.object({ type: z.literal('PROMOTION.APPROVE'), promotionId: id, at: z.string(), by: z.string() });
export const PromotionCompletedEventSchema = z.object({ type: z.literal('PROMOTION.COMPLETED'), promotionId: id, result: PromotionResultSchema, at: z.string() });
/** `release/{environment}` was moved back from `previous` to `checkpoint`'s `commit`. */
export const EnvironmentRolledBackEventSchema = z.object({
  type: z.literal('ENVIRONMENT.ROLLED_BACK'), environment: z.string(), checkpoint: z.string(), commit: z.string(), previous: z.string(), at: z.string(), by: z.string(),
});

/** A person asked the planner (`agent`, run read-only on the repository) for a plan of `goal`. */
export const PlanRequestEventSchema = z.object({
  type: z.literal('PLAN.REQUEST'), planId: id, goal: z.string().min(1).max(20_000), agent: z.string().min(1), at: z.string(), by: z.string(),
});
/** The planner answered with a valid plan (a DAG of tasks); `raw` is its answer as it came. */
export const PlanCreatedEventSchema = z.object({
  type: z.literal('PLAN.CREATED'), planId: id, plan: PlanSchema, raw: z.string().max(MAX_PLAN_RAW), cliVersion: z.string().nullable(), at: z.string(),
});
/** The planner failed, or answered with something that is not a valid plan (kept in `raw`). */
export const PlanFailedEventSchema = z.object({
  type: z.literal('PLAN.FAILED'), planId: id, error: CodedErrorSchema, raw: z.string().max(MAX_PLAN_RAW).nullable(), at: z.string(),
});
/** One task an approved plan adds; `dependsOn` holds session task ids. */
export const PlanApprovedTaskSchema = z.object({
  taskId: id, planTaskId: z.string(), prompt: z.string(), agent: z.string().nullable(), agentOrder: z.array(z.string()), dependsOn: z.array(id).max(50),
});
/**
 * An operator approved the plan as people edited it (`plan`; `edits` compares it with the
 * planner's): its tasks are added in plan order, each waiting for its dependencies.
 */
export const PlanApproveEventSchema = z.object({
  type: z.literal('PLAN.APPROVE'), planId: id, plan: PlanSchema, tasks: z.array(PlanApprovedTaskSchema).min(1).max(50), edits: PlanEditsSchema, at: z.string(), by: z.string(),
});

export const AgentEventSchema = z.discriminatedUnion('type', [
  AgentStartedEventSchema, AgentStreamedEventSchema, AgentResumableEventSchema,
  AgentExitedEventSchema, AgentTimeoutEventSchema, AgentCancelEventSchema,
]);
export const TaskCommandEventSchema = z.discriminatedUnion('type', [
  TaskReworkEventSchema, TaskWorktreeReadyEventSchema, TaskWorktreeFailedEventSchema, TaskCommittedEventSchema,
  TaskSetupStartedEventSchema, TaskSetupOutputEventSchema, TaskSetupFailedEventSchema, TaskCommitFailedEventSchema, TaskRetryDueEventSchema, TaskCancelEventSchema, TaskRejectEventSchema,
  TaskInterruptEventSchema, TaskRequeueEventSchema, ConflictResolvedEventSchema,
  TaskApproveEventSchema, TaskRequestChangesEventSchema,
]);
export const SessionCommandEventSchema = z.discriminatedUnion('type', [
  TaskAddEventSchema, SaveRequestEventSchema, SaveProgressEventSchema, SaveCompletedEventSchema,
  ReviewResumeEventSchema, RollbackRequestEventSchema, RollbackCompletedEventSchema, CiStatusEventSchema,
  PromotionRequestEventSchema, PromotionApproveEventSchema, PromotionCompletedEventSchema, EnvironmentRolledBackEventSchema,
  AgentPermissionRequestedEventSchema, AgentPermissionDecidedEventSchema, AgentMessageEventSchema,
  SessionSettingsEventSchema, TaskReapplyEventSchema,
  PlanRequestEventSchema, PlanCreatedEventSchema, PlanFailedEventSchema, PlanApproveEventSchema,
]);
/** Everything the runtime may send to the root session actor (and therefore log as an actor event). */
export const SessionEventSchema = z.discriminatedUnion('type', [
  ...SessionCommandEventSchema.options, ...TaskCommandEventSchema.options, ...AgentEventSchema.options,
]);

export type AgentStartedEvent = z.infer<typeof AgentStartedEventSchema>;
export type AgentStreamedEvent = z.infer<typeof AgentStreamedEventSchema>;
export type AgentResumableEvent = z.infer<typeof AgentResumableEventSchema>;
export type AgentExitedEvent = z.infer<typeof AgentExitedEventSchema>;
export type AgentTimeoutEvent = z.infer<typeof AgentTimeoutEventSchema>;
export type AgentCancelEvent = z.infer<typeof AgentCancelEventSchema>;
export type TaskWorktreeReadyEvent = z.infer<typeof TaskWorktreeReadyEventSchema>;
export type TaskWorktreeFailedEvent = z.infer<typeof TaskWorktreeFailedEventSchema>;
export type TaskSetupStartedEvent = z.infer<typeof TaskSetupStartedEventSchema>;
export type TaskSetupOutputEvent = z.infer<typeof TaskSetupOutputEventSchema>;
export type TaskSetupFailedEvent = z.infer<typeof TaskSetupFailedEventSchema>;
export type TaskCommittedEvent = z.infer<typeof TaskCommittedEventSchema>;
export type TaskCommitFailedEvent = z.infer<typeof TaskCommitFailedEventSchema>;
export type TaskRetryDueEvent = z.infer<typeof TaskRetryDueEventSchema>;
export type TaskCancelEvent = z.infer<typeof TaskCancelEventSchema>;
export type TaskRejectEvent = z.infer<typeof TaskRejectEventSchema>;
export type TaskReworkEvent = z.infer<typeof TaskReworkEventSchema>;
export type ConflictResolvedEvent = z.infer<typeof ConflictResolvedEventSchema>;
export type TaskInterruptEvent = z.infer<typeof TaskInterruptEventSchema>;
export type TaskRequeueEvent = z.infer<typeof TaskRequeueEventSchema>;
export type TaskAddEvent = z.infer<typeof TaskAddEventSchema>;
export type SaveRequestEvent = z.infer<typeof SaveRequestEventSchema>;
export type SaveProgressEvent = z.infer<typeof SaveProgressEventSchema>;
export type SaveCompletedEvent = z.infer<typeof SaveCompletedEventSchema>;
export type CiStatusEvent = z.infer<typeof CiStatusEventSchema>;
export type ReviewResumeEvent = z.infer<typeof ReviewResumeEventSchema>;
export type RollbackRequestEvent = z.infer<typeof RollbackRequestEventSchema>;
export type RollbackCompletedEvent = z.infer<typeof RollbackCompletedEventSchema>;
export type PromotionRequestEvent = z.infer<typeof PromotionRequestEventSchema>;
export type PromotionApproveEvent = z.infer<typeof PromotionApproveEventSchema>;
export type PromotionCompletedEvent = z.infer<typeof PromotionCompletedEventSchema>;
export type EnvironmentRolledBackEvent = z.infer<typeof EnvironmentRolledBackEventSchema>;
export type PlanRequestEvent = z.infer<typeof PlanRequestEventSchema>;
export type PlanCreatedEvent = z.infer<typeof PlanCreatedEventSchema>;
export type PlanFailedEvent = z.infer<typeof PlanFailedEventSchema>;
export type PlanApproveEvent = z.infer<typeof PlanApproveEventSchema>;
export type AgentPermissionRequestedEvent = z.infer<typeof AgentPermissionRequestedEventSchema>;
export type AgentPermissionDecidedEvent = z.infer<typeof AgentPermissionDecidedEventSchema>;
export type AgentMessageEvent = z.infer<typeof AgentMessageEventSchema>;
export type AgentEvent = z.infer<typeof AgentEventSchema>;
export type TaskCommandEvent = z.infer<typeof TaskCommandEventSchema>;
export type SessionCommandEvent = z.infer<typeof SessionCommandEventSchema>;
export type SessionEvent = z.infer<typeof SessionEventSchema>;

export const SESSION_EVENT_TYPES: ReadonlySet<string> = new Set(SessionEventSchema.options.map((option) => option.shape.type.value));
