// The one registry of error codes that can reach a client: HTTP status and whether retrying the
// same request may succeed. Libraries (git-engine, adapters, sync) throw their own typed errors
// with these codes; the HTTP edge maps any error carrying a registered code through this table,
// so a code is never remapped by string matching in a route.
import { z } from 'zod';

interface ErrorCodeInfo {
  status: number;
  retryable: boolean;
}

const entry = (status: number, retryable = false): ErrorCodeInfo => ({ status, retryable });

export const ERROR_CODES = {
  // Request shape and authentication.
  BAD_JSON: entry(400),
  VALIDATION_FAILED: entry(400),
  INVALID_CURSOR: entry(400),
  INVALID_NAME: entry(400),
  INVALID_RESOLUTION: entry(400),
  UNRESOLVED_CONFLICT: entry(400),
  RESOLUTION_TEXT_INVALID: entry(400),
  RESOLUTION_SIDE_NOT_ALLOWED: entry(400),
  // The option named is not one of the agent's options of that kind (allow or reject).
  PERMISSION_OPTION_INVALID: entry(400),
  UNAUTHENTICATED: entry(401),
  FORBIDDEN: entry(403),
  REPO_NOT_ALLOWED: entry(403),
  SELF_APPROVAL: entry(403),
  NOT_FOUND: entry(404),
  SESSION_NOT_FOUND: entry(404),
  PREVIEW_NOT_AVAILABLE: entry(404),
  TASK_NOT_FOUND: entry(404),
  TOKEN_NOT_FOUND: entry(404),
  MEMBER_NOT_FOUND: entry(404),
  CHECKPOINT_NOT_FOUND: entry(404),
  ENVIRONMENT_NOT_FOUND: entry(404),
  PROMOTION_NOT_FOUND: entry(404),
  // No pending ACP permission request with that id (answered, timed out, or its run ended).
  PERMISSION_NOT_FOUND: entry(404),
  BRANCH_NOT_FOUND: entry(404),
  WORKTREE_NOT_FOUND: entry(404),
  WEBHOOK_NOT_FOUND: entry(404),
  DELIVERY_NOT_FOUND: entry(404),
  PLAN_NOT_FOUND: entry(404),
  METHOD_NOT_ALLOWED: entry(405),
  PAYLOAD_TOO_LARGE: entry(413),
  UNSUPPORTED_MEDIA_TYPE: entry(415),
  // The request is well formed but the world is not in a state that allows it.
  SESSION_BUSY: entry(409, true),
  SAVE_IN_PROGRESS: entry(409, true),
  ROLLBACK_IN_PROGRESS: entry(409, true),
  INVALID_STATE: entry(409),
  NOTHING_TO_SAVE: entry(409),
  TASK_NOT_READY: entry(409),
  STATUS_REQUIRED: entry(409),
  SESSION_DAMAGED: entry(409),
  STALE_CONFLICT: entry(409),
  WORKTREE_DIRTY: entry(409),
  MAIN_WORKTREE_DIRTY: entry(409),
  MAIN_MOVED: entry(409, true),
  BRANCH_MOVED: entry(409, true),
  BRANCH_EXISTS: entry(409),
  WORKTREE_EXISTS: entry(409),
  JOURNAL_CONFLICT: entry(409),
  REF_LOCKED: entry(409, true),
  INDEX_LOCKED: entry(409, true),
  PROMOTION_NOT_ELIGIBLE: entry(409),
  PROMOTION_NOT_FAST_FORWARD: entry(409),
  ALREADY_APPROVED: entry(409),
  PROMOTION_IN_PROGRESS: entry(409, true),
  // The task has no live ACP agent run to take a message (not running, not an ACP agent, or its last turn ended).
  RUN_NOT_STEERABLE: entry(409),
  // The review loop (issue 13): requireApproval leaves unapproved work out of a Save; changes go
  // back to a language-model agent's conversation; re-applied work must still merge cleanly.
  NOTHING_APPROVED: entry(409),
  TASK_NOT_APPROVED: entry(409),
  REVIEW_NEEDS_AGENT: entry(409),
  REAPPLY_CONFLICT: entry(409),
  // Planning (runtime/planning): a plan that is still being made, failed or was approved already.
  PLAN_NOT_READY: entry(409),
  // A dependent task's start point: merging a dependency's branch conflicted (a task error).
  START_POINT_CONFLICT: entry(409),
  // The repository or configuration cannot serve the request.
  NOT_A_REPOSITORY: entry(422),
  NO_MAIN_BRANCH: entry(422),
  UNKNOWN_AGENT: entry(422),
  AGENT_UNAVAILABLE: entry(422),
  PATH_OUTSIDE_REPOSITORY: entry(422),
  SYMLINK_ESCAPE: entry(422),
  GATE_CONFIG_INVALID: entry(422),
  // No language-model agent can plan (none available, or the command agent was asked to).
  NO_PLANNER: entry(422),
  // A plan (the planner's answer, or the plan as people edited it) is not a valid DAG of tasks.
  PLAN_MALFORMED: entry(422),
  PLAN_DUPLICATE_TASK: entry(422),
  PLAN_UNKNOWN_DEPENDENCY: entry(422),
  PLAN_CYCLE: entry(422),
  // A webhook's secretRef/routingKeyRef cannot be resolved (unset variable, file not 0600, command failed).
  WEBHOOK_SECRET_UNAVAILABLE: entry(422),
  // A task's setup commands failed (its error; never an HTTP response): fix the cause, then retry the task.
  SETUP_FAILED: entry(422),
  ADAPTER_UNAVAILABLE: entry(503, true),
  // Server side.
  INTERNAL: entry(500),
  PREVIEW_NOT_LISTENING: entry(502, true),
  WORKER_FAILED: entry(500, true),
  // The planner's run failed without a more precise adapter code (a plan error, never a response).
  PLANNER_FAILED: entry(502, true),
  SIGNING_FAILED: entry(500),
  SHUTTING_DOWN: entry(503, true),
  ENGINE_CLOSED: entry(503, true),
  // Cluster mode (runtime/cluster): the session's owner changed or Redis is not reachable yet.
  SESSION_FENCED: entry(503, true),
  OWNER_UNAVAILABLE: entry(503, true),
  STORE_UNAVAILABLE: entry(503, true),
  NOT_REPLICATED: entry(503, true),
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function errorCodeInfo(code: ErrorCode): ErrorCodeInfo {
  return ERROR_CODES[code];
}

/** The JSON body of every error reply. */
export const ErrorReplySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    retryable: z.boolean().optional(),
    data: z.unknown().optional(),
  }),
});
export type ErrorReply = z.infer<typeof ErrorReplySchema>;
