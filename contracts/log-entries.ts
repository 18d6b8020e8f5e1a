// The event log's entries. Each is either an *actor event* (delivered to a session actor, replayed
// to rebuild it) or an *audit record* (who did what: sessions created, tokens minted, members
// changed, entries skipped; never delivered to an actor). `kind` is the discriminator; entries
// written before it existed are classified by their type (see classifyEntry).
import { z } from 'zod';
import { SESSION_EVENT_TYPES, SessionEventSchema, type SessionEvent } from './session-events.js';

/** Who caused an entry: a person (by token id), an agent run, or the runtime itself. */
export const ActorRefSchema = z.strictObject({
  kind: z.enum(['user', 'agent', 'system']),
  id: z.string(),
  name: z.string().optional(),
});
export type ActorRef = z.infer<typeof ActorRefSchema>;

export const SYSTEM_ACTOR: ActorRef = { kind: 'system', id: 'runtime' };

export const EntryKindSchema = z.enum(['actor', 'audit']);
export type EntryKind = z.infer<typeof EntryKindSchema>;

export const LogEntrySchema = z.strictObject({
  seq: z.number().int().positive(),
  at: z.string(),
  /** Absent on entries written before the discriminator existed. */
  kind: EntryKindSchema.optional(),
  actor: ActorRefSchema,
  sessionId: z.string().nullable(),
  taskId: z.string().nullable(),
  type: z.string(),
  data: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** The audit record that starts a session: its index row and the machine's input. */
export const SESSION_CREATED = 'SESSION.CREATED';
/** An admin skipped an entry that could not be applied; replay skips the named seq from then on. */
export const SESSION_ENTRY_SKIPPED = 'SESSION.ENTRY_SKIPPED';
/** The task branches a published Save's pruning deleted, and the ones it kept with why (audit only). */
export const BRANCHES_PRUNED = 'GIT.BRANCHES_PRUNED';
/** Managed refs pushed (or not) to the CI remote `.thalogos.json` names (audit only). */
export const CI_PUSHED = 'CI.PUSHED';
/** An admin replaced an entry that could not be applied with a corrected event (applied instead). */
export const SESSION_ENTRY_REPAIRED = 'SESSION.ENTRY_REPAIRED';

export const SessionInputSchema = z.object({
  sessionId: z.string(),
  title: z.string(),
  repoPath: z.string(),
  /** The branch the session works from and publishes to; absent in sessions from before it existed (main/master). */
  baseBranch: z.string().optional(),
  createdAt: z.string(),
  createdBy: z.string(),
  agentOrder: z.array(z.string()),
  maxParallel: z.number().int().positive(),
  taskTimeoutMs: z.number().int().positive(),
  maxRetries: z.number().int().nonnegative(),
  /** Only approved tasks merge on Save (absent: false). */
  requireApproval: z.boolean().optional(),
});
export type SessionInput = z.infer<typeof SessionInputSchema>;

export const SessionMetaSchema = z.object({
  id: z.string(),
  title: z.string(),
  repoPath: z.string(),
  baseBranch: z.string().optional(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type SessionMeta = z.infer<typeof SessionMetaSchema>;

export const SessionCreatedDataSchema = z.object({ meta: SessionMetaSchema, input: SessionInputSchema });
export const EntrySkippedDataSchema = z.object({ seq: z.number().int().positive(), reason: z.string() });
export const EntryRepairedDataSchema = z.object({ seq: z.number().int().positive(), reason: z.string(), event: SessionEventSchema });

const EndedTaskStatusSchema = z.enum(['merged', 'failed', 'cancelled', 'rejected']);
/**
 * The data of a GIT.BRANCHES_PRUNED record. `kept[].reason`: `unmerged_work` (commits neither main
 * nor a checkpoint tag reaches: never pruned automatically), `not_due` (the retention keeps it
 * until `dueAt`; null: never), `uncommitted_changes` (its worktree holds uncommitted work:
 * `paths`), `checked_out` (the user's own checkout is on it), `busy` (its ref was locked or moved).
 */
export const BranchesPrunedDataSchema = z.strictObject({
  saveId: z.string(),
  pruned: z.array(z.strictObject({
    taskId: z.string(), status: EndedTaskStatusSchema, branch: z.string(), commit: z.string(), worktreeRemoved: z.string().nullable(),
  })),
  kept: z.array(z.strictObject({
    taskId: z.string(), status: EndedTaskStatusSchema, branch: z.string(), commit: z.string(),
    reason: z.enum(['unmerged_work', 'not_due', 'uncommitted_changes', 'checked_out', 'busy']),
    dueAt: z.string().nullable().optional(),
    paths: z.array(z.string()).optional(),
  })),
});
export type BranchesPrunedData = z.infer<typeof BranchesPrunedDataSchema>;

/**
 * Audit record types with a schema the replay relies on. Other audit types (tokens, members,
 * legacy `CONFLICT.*` records written before conflict resolution became an actor event) are kept
 * for the audit only: replay never reads their data.
 */
export const REPLAY_AUDIT_SCHEMAS = {
  [SESSION_CREATED]: SessionCreatedDataSchema,
  [SESSION_ENTRY_SKIPPED]: EntrySkippedDataSchema,
  [SESSION_ENTRY_REPAIRED]: EntryRepairedDataSchema,
} as const;

/** Audit types known to this version; an unknown type on a session entry quarantines the session. */
export const AUDIT_TYPES: ReadonlySet<string> = new Set([
  ...Object.keys(REPLAY_AUDIT_SCHEMAS),
  'TOKEN.CREATED', 'TOKEN.REVOKED',
  // Webhook subscriptions added and removed by admins (runtime/webhooks); never their secrets.
  'WEBHOOK.CREATED', 'WEBHOOK.DELETED',
  'MEMBER.ADDED', 'MEMBER.CHANGED', 'MEMBER.REMOVED',
  'LOG.REPAIRED', 'LOG.HEAD_JOURNAL_STARTED',
  // What a published Save's branch pruning deleted and kept (runtime/sessions/branch-pruning.ts).
  BRANCHES_PRUNED,
  CI_PUSHED,
  // Written by the first wave's conflict routes beside the session's actor events.
  'CONFLICT.RESOLVE', 'CONFLICT.RESOLVED', 'CONFLICT.RESOLVE_FAILED',
]);

/** How an entry is treated by replay: delivered, recorded only, or not understood. */
export function classifyEntry(entry: Pick<LogEntry, 'kind' | 'type'>): EntryKind | 'unknown' {
  if (entry.kind) return entry.kind;
  if (SESSION_EVENT_TYPES.has(entry.type)) return 'actor';
  if (AUDIT_TYPES.has(entry.type)) return 'audit';
  return 'unknown';
}

export type ParsedActorEvent = { ok: true; event: SessionEvent } | { ok: false; reason: string };

/** Validates an actor event entry: its data must be the event, of the entry's own type. */
export function parseActorEvent(entry: Pick<LogEntry, 'type' | 'data'>): ParsedActorEvent {
  const parsed = SessionEventSchema.safeParse(entry.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `data is not a valid ${entry.type} event: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}` };
  }
  if (parsed.data.type !== entry.type) return { ok: false, reason: `entry type ${entry.type} carries a ${parsed.data.type} event` };
  // The original object is delivered: parsing must not strip fields a later version added.
  return { ok: true, event: entry.data as SessionEvent };
}
