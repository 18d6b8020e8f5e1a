import { z } from 'zod';
import { MemberRoleSchema } from '../auth/membership-store.js';
import { RoleSchema } from '../auth/roles.js';

const TaskIdField = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected a task id');

/** A Save's checkpoint tag, or a session's start (`session-start/{id}`): what rollback and promotion take. */
const CheckpointField = z.string().regex(/^(?:checkpoint\/\d{4}-\d{2}-\d{2}-\d{1,6}|session-start\/[A-Za-z0-9][A-Za-z0-9_-]{0,127})$/, 'expected checkpoint/YYYY-MM-DD-N or session-start/SESSION');

/** Every request body is a strict object: unknown fields are refused, not ignored. */
export const CreateSessionBody = z.strictObject({
  repoPath: z.string().min(1).max(4096),
  title: z.string().trim().min(1).max(200),
  /** The branch to work from and publish to; default: the branch the checkout is on. Checked by the engine. */
  baseBranch: z.string().min(1).max(255).optional(),
  /** Only approved tasks merge on Save (default false; an operator can change it later). */
  requireApproval: z.boolean().optional(),
});

export const AddTaskBody = z.strictObject({
  prompt: z.string().min(1).max(100_000),
  agent: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'agent ids are lower-case words').optional(),
});

export const EmptyBody = z.strictObject({});

/** `taskIds`: a Save of chosen tasks (each once); without it every ready task is saved. */
export const SaveBody = z.strictObject({
  taskIds: z.array(TaskIdField).min(1).max(500).refine((ids) => new Set(ids).size === ids.length, 'taskIds must not repeat').optional(),
});

/** Why a reviewer turned a task down: kept on the task (closed.reason) and in the log. */
export const RejectBody = z.strictObject({
  reason: z.string().trim().min(1).max(2000).optional(),
});

export const RollbackBody = z.strictObject({
  checkpoint: CheckpointField,
  mode: z.enum(['restore_commit', 'branch']).default('restore_commit'),
});

const SessionIdField = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'expected a session id');

export const CreateTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: RoleSchema,
  /** Sessions the new token joins as a member (admin tokens see every session and take none). */
  sessions: z
    .array(z.strictObject({ id: SessionIdField, role: MemberRoleSchema }))
    .max(1000)
    .refine((list) => new Set(list.map((entry) => entry.id)).size === list.length, 'each session may appear once')
    .optional(),
});

const seq = z.coerce.number().int().min(0);

export const EventsQuery = z.strictObject({
  after: seq.default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  taskId: z.string().max(64).optional(),
});

export const ResolveConflictBody = z.strictObject({
  taskId: TaskIdField.optional(),
  resolutions: z
    .array(z.strictObject({
      path: z.string().min(1).max(4096),
      hunk: z.number().int().min(0).max(100_000).optional(),
      side: z.enum(['ours', 'theirs', 'both', 'manual']),
      // Checked by the engine (a string, no NUL, at most 1 MiB, only with side manual), so every
      // problem with a hand-written hunk is the one code RESOLUTION_TEXT_INVALID.
      text: z.unknown().optional(),
    }))
    .min(1)
    .max(10_000),
});

export const DelegateConflictBody = z.strictObject({
  taskId: TaskIdField.optional(),
  agent: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/).optional(),
});

const EnvironmentField = z.string().regex(/^[a-z][a-z0-9]{0,31}$/, 'expected an environment name (a lowercase word)');

/** Promote `checkpoint` to the environment `to` (see docs/runbooks/promotion.md). */
export const PromoteBody = z.strictObject({ checkpoint: CheckpointField, to: EnvironmentField });

/** Move an environment back to an earlier checkpoint it held. */
export const EnvironmentRollbackBody = z.strictObject({ checkpoint: CheckpointField });

/** Request changes: what the reviewer tells the agent; the task's line comments join it from the shared document. */
export const RequestChangesBody = z.strictObject({
  message: z.string().trim().max(20_000).default(''),
});

/** Session settings an operator may change after creation. */
export const SessionSettingsBody = z.strictObject({
  requireApproval: z.boolean(),
});
