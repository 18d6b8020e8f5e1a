import { z } from 'zod';
import type { SessionView } from '../../actors/index.js';
import type { SessionDamage } from '../../contracts/index.js';
import type { LogEntry } from '../log/log-entry.js';

/**
 * What a webhook can subscribe to. Each is derived from one log entry (its `seq` is part of the
 * delivery's idempotency key). `promotion.*` comes from environment promotions (PROMOTION.COMPLETED,
 * ENVIRONMENT.ROLLED_BACK).
 */
export const WEBHOOK_EVENT_TYPES = [
  'save.published', 'save.gates_failed', 'save.conflict', 'save.error',
  'task.failed', 'agents.exhausted', 'session.damaged',
  'promotion.completed', 'promotion.failed', 'promotion.rolled_back',
] as const;
export const WebhookEventTypeSchema = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventTypeSchema>;

export interface WebhookEvent {
  type: WebhookEventType;
  /** The log entry this event was derived from. */
  seq: number;
  at: string;
  sessionId: string;
  sessionTitle: string;
  taskId: string | null;
  /** One line for humans (Slack text, PagerDuty summary). */
  summary: string;
  /** PagerDuty severity; also tells the JSON consumer how loud to be. */
  severity: 'critical' | 'error' | 'warning' | 'info';
  data: Record<string, unknown>;
}

interface Source {
  title: string;
  /** Read only for entries that may have failed a task (building a view costs). */
  view: () => SessionView | null;
}

/** Entries whose application can fail a task, with the task error code each one means. */
const FAILING_ENTRIES: Record<string, string | null> = {
  'AGENT.EXITED': null, // AGENTS_EXHAUSTED when it was the last agent's last try
  'AGENT.TIMEOUT': null,
  'TASK.WORKTREE_FAILED': 'WORKTREE_FAILED',
  'TASK.SETUP_FAILED': 'SETUP_FAILED',
  'TASK.COMMIT_FAILED': 'COMMIT_FAILED',
};

/**
 * The webhook events of one applied log entry. Saves are read off the entry alone. Whether an
 * agent's exit failed its task depends on the task's state, read from the session's view (live:
 * right after the entry; after a restart: the restored view; a failed task blames the entry whose
 * run is its last run, so a re-read entry gives the same answer).
 */
export function eventsOf(entry: LogEntry, source: Source): WebhookEvent[] {
  if (!entry.sessionId) return [];
  const base = { seq: entry.seq, at: entry.at, sessionId: entry.sessionId, sessionTitle: source.title, taskId: entry.taskId };
  const data = (entry.data ?? {}) as Record<string, unknown>;
  if (entry.type === 'SAVE.COMPLETED') {
    const result = (data.result ?? {}) as Record<string, unknown>;
    const saveId = String(data.saveId ?? '');
    switch (result.status) {
      case 'published':
        return [{ ...base, type: 'save.published', severity: 'info', summary: `Save ${saveId} published ${String(result.tag)} in "${source.title}"`, data: { saveId, commit: result.commit, tag: result.tag, mergedTaskIds: result.mergedTaskIds } }];
      case 'gates_failed': {
        const gates = Array.isArray(result.gates) ? (result.gates as Array<Record<string, unknown>>) : [];
        const failed = gates.filter((gate) => gate.timedOut === true || gate.exitCode !== 0).map((gate) => gate.command);
        return [{ ...base, type: 'save.gates_failed', severity: 'error', summary: `Save ${saveId} in "${source.title}": gates failed${failed.length ? ` (${failed.join(', ')})` : ''}`, data: { saveId, integrationCommit: result.integrationCommit, mergedTaskIds: result.mergedTaskIds, failedGates: failed } }];
      }
      case 'conflict':
        return [{ ...base, type: 'save.conflict', severity: 'warning', summary: `Save ${saveId} in "${source.title}" stopped on a conflict`, data: { saveId } }];
      case 'error': {
        const error = (result.error ?? {}) as Record<string, unknown>;
        return [{ ...base, type: 'save.error', severity: 'error', summary: `Save ${saveId} in "${source.title}" failed: ${String(error.code)}`, data: { saveId, code: error.code, message: error.message } }];
      }
      default:
        return [];
    }
  }
  if (entry.type === 'PROMOTION.COMPLETED') {
    const result = (data.result ?? {}) as Record<string, unknown>;
    const promotionId = String(data.promotionId ?? '');
    const where = `${String(result.checkpoint ?? '?')} to ${String(result.environment ?? '?')}`;
    if (result.status === 'promoted') {
      return [{ ...base, type: 'promotion.completed', severity: 'info', summary: `Promoted ${where} in "${source.title}"`, data: { promotionId, environment: result.environment, checkpoint: result.checkpoint, commit: result.commit, previous: result.previous } }];
    }
    const error = (result.error ?? {}) as Record<string, unknown>;
    const why = result.status === 'gates_failed' ? 'gates failed' : String(error.code ?? result.status);
    return [{ ...base, type: 'promotion.failed', severity: 'error', summary: `Promotion ${promotionId} in "${source.title}" failed: ${why}`, data: { promotionId, status: result.status, environment: result.environment ?? null, checkpoint: result.checkpoint ?? null, code: error.code ?? null, message: error.message ?? null } }];
  }
  if (entry.type === 'ENVIRONMENT.ROLLED_BACK') {
    return [{ ...base, type: 'promotion.rolled_back', severity: 'warning', summary: `release/${String(data.environment)} rolled back to ${String(data.checkpoint)} in "${source.title}" by ${String(data.by)}`, data: { environment: data.environment, checkpoint: data.checkpoint, commit: data.commit, previous: data.previous, by: data.by } }];
  }
  if (!(entry.type in FAILING_ENTRIES) || !entry.taskId) return [];
  const task = source.view()?.tasks.find((candidate) => candidate.id === entry.taskId);
  if (!task || task.status !== 'failed' || !task.error) return [];
  const expected = FAILING_ENTRIES[entry.type];
  if (expected ? task.error.code !== expected : task.error.runs.at(-1) !== data.runId) return [];
  const facts = { code: task.error.code, message: task.error.message, agent: task.error.agent, runs: task.error.runs };
  const events: WebhookEvent[] = [{ ...base, type: 'task.failed', severity: 'error', summary: `Task ${task.id} in "${source.title}" failed: ${task.error.code}`, data: facts }];
  if (task.error.code === 'AGENTS_EXHAUSTED') {
    events.push({ ...base, type: 'agents.exhausted', severity: 'critical', summary: `Every agent failed task ${task.id} in "${source.title}"`, data: facts });
  }
  return events;
}

/** A quarantined session, keyed by the entry it cannot apply. */
export function damageEvent(sessionId: string, title: string, damage: SessionDamage, at: string): WebhookEvent {
  return {
    type: 'session.damaged', seq: damage.seq, at, sessionId, sessionTitle: title, taskId: null, severity: 'critical',
    summary: `Session "${title}" is quarantined: log entry ${damage.seq} (${damage.type}) cannot be applied`,
    data: { damage },
  };
}
