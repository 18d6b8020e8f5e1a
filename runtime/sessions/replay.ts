// Pure replay: the session machine with its default (no-op) effects, fed the logged actor events
// in order, every one validated against contracts/ first. Used by restore, by `thalogos replay`
// and by tests that compare live and replayed state; all three therefore agree, damage included.
import { createActor, type Actor, type Snapshot } from 'xstate';
import {
  classifyEntry,
  parseActorEvent,
  REPLAY_AUDIT_SCHEMAS,
  SESSION_CREATED,
  SESSION_ENTRY_REPAIRED,
  SESSION_ENTRY_SKIPPED,
  type LogEntry,
  type SessionDamage,
  type SessionEvent,
  type SessionInput,
  type SessionView,
} from '../../contracts/index.js';
import { describeSession, sessionMachine } from '../../actors/index.js';

export interface ReplayStart {
  seq: number;
  snapshot: unknown;
}

export interface ReplayResult {
  /** The last entry applied (or skipped as an audit record) before any damage. */
  seq: number;
  /** The machine's persisted snapshot at `seq`. */
  persisted: unknown;
  /** The session view at `seq`; `status: 'damaged'` and `damage` set when an entry could not be applied. */
  view: SessionView;
  damage: SessionDamage | null;
}

/** Why an entry cannot be delivered, or null when it can. */
type Delivery = { event: SessionEvent } | { skip: true } | { damage: string };

/**
 * Options that restore an actor from a persisted snapshot read back from storage. XState types the
 * options by the machine's input, which a restore does not use; the snapshot's shape is the
 * machine's own (written by `getPersistedSnapshot`), hence the cast at this one boundary.
 */
export function restoreOptions(snapshot: unknown): { snapshot: Snapshot<unknown>; input: SessionInput } {
  return { snapshot: snapshot as Snapshot<unknown>, input: undefined as unknown as SessionInput };
}

/**
 * Starts an actor that never throws out of a later `send`: XState reports an error in an action or
 * guard to the actor's observers, and without one it rethrows on a timer, which would take the
 * whole process down. Callers read `getSnapshot().status === 'error'` instead.
 */
export function startQuietly<T extends Actor<any>>(actor: T): T {
  actor.subscribe({ error: () => undefined });
  return actor.start();
}

/** Admin decisions about entries that could not be applied: skip them, or apply a corrected event. */
export function collectAdminDecisions(entries: LogEntry[]): { skips: Set<number>; repairs: Map<number, SessionEvent> } {
  const skips = new Set<number>();
  const repairs = new Map<number, SessionEvent>();
  for (const entry of entries) {
    if (entry.type === SESSION_ENTRY_SKIPPED) {
      const parsed = REPLAY_AUDIT_SCHEMAS[SESSION_ENTRY_SKIPPED].safeParse(entry.data);
      if (parsed.success) skips.add(parsed.data.seq);
    } else if (entry.type === SESSION_ENTRY_REPAIRED) {
      const parsed = REPLAY_AUDIT_SCHEMAS[SESSION_ENTRY_REPAIRED].safeParse(entry.data);
      if (parsed.success) repairs.set(parsed.data.seq, parsed.data.event as SessionEvent);
    }
  }
  return { skips, repairs };
}

function deliveryOf(entry: LogEntry, decisions: ReturnType<typeof collectAdminDecisions>): Delivery {
  const repaired = decisions.repairs.get(entry.seq);
  if (repaired) return { event: repaired };
  if (decisions.skips.has(entry.seq)) return { skip: true };
  const kind = classifyEntry(entry);
  if (kind === 'audit') return { skip: true };
  if (kind === 'unknown') return { damage: `unknown entry type ${entry.type}` };
  const parsed = parseActorEvent(entry);
  return parsed.ok ? { event: parsed.event } : { damage: parsed.reason };
}

/**
 * Replays `entries` (one session's, in sequence order) on top of `from`. Stops at the first entry
 * that cannot be applied (it does not parse, has an unknown type, precedes the session's creation,
 * or makes the machine fail): the result then describes the state just before it and names it.
 */
export function replayEntries(entries: LogEntry[], from: ReplayStart | null, decisions = collectAdminDecisions(entries)): ReplayResult {
  let actor: Actor<typeof sessionMachine> | null = from ? startQuietly(createActor(sessionMachine, restoreOptions(from.snapshot))) : null;
  let seq = from?.seq ?? 0;
  let damage: SessionDamage | null = null;
  for (const entry of entries) {
    if (entry.type === SESSION_CREATED) {
      const parsed = REPLAY_AUDIT_SCHEMAS[SESSION_CREATED].safeParse(entry.data);
      if (!parsed.success || actor) {
        damage = { seq: entry.seq, type: entry.type, reason: parsed.success ? 'a second SESSION.CREATED' : 'SESSION.CREATED does not carry a valid session input' };
        break;
      }
      actor = startQuietly(createActor(sessionMachine, { input: parsed.data.input }));
      seq = entry.seq;
      continue;
    }
    const delivery = deliveryOf(entry, decisions);
    if ('damage' in delivery) {
      damage = { seq: entry.seq, type: entry.type, reason: delivery.damage };
      break;
    }
    if ('event' in delivery) {
      if (!actor) {
        damage = { seq: entry.seq, type: entry.type, reason: 'the entry precedes the session\'s creation' };
        break;
      }
      const before = actor.getPersistedSnapshot();
      actor.send(delivery.event);
      if (actor.getSnapshot().status === 'error') {
        damage = { seq: entry.seq, type: entry.type, reason: `the session machine failed on it: ${errorText(actor.getSnapshot().error)}` };
        // The failed actor cannot describe anything: go back to the state just before the entry.
        actor.stop();
        actor = startQuietly(createActor(sessionMachine, restoreOptions(before)));
        break;
      }
    }
    seq = entry.seq;
  }
  if (!actor) {
    throw Object.assign(new Error('no SESSION.CREATED entry for this session'), { code: 'SESSION_NOT_FOUND' });
  }
  const persisted = actor.getPersistedSnapshot();
  const view = describeSession(actor.getSnapshot());
  actor.stop();
  return { seq, persisted, view: damage ? damagedView(view, damage) : view, damage };
}

export function damagedView(view: SessionView, damage: SessionDamage): SessionView {
  return { ...view, status: 'damaged', damage };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
