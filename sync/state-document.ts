import * as Y from 'yjs';
import { z } from 'zod';
import { SyncError } from './errors.js';
import { type Json, type JsonObject, isJsonObject, syncMap, toJson, toYjs } from './json-yjs.js';

/**
 * Schema of `session/{id}/state`, the read-only projection of actor state (see README.md).
 * Root types: Y.Map 'meta' { schema }, Y.Map 'session' (the session view, mirrored as nested
 * Y.Map / Y.Array), Y.Map 'agents' (runId -> run with its last N events).
 */
export const STATE_SCHEMA_VERSION = 1;
export const STATE_ROOT = { meta: 'meta', session: 'session', agents: 'agents' } as const;

/** Longest string field kept in an event in the document; the event log has the full text. */
export const MAX_EVENT_STRING = 8 * 1024;
/** Largest event (serialised) kept with its fields; beyond this only type/seq/at remain. */
export const MAX_EVENT_JSON = 32 * 1024;

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/);

export const agentEventSchema = z.looseObject({
  type: z.string().min(1).max(64),
  seq: z.number().int().nonnegative(),
  at: z.string().min(1).max(64),
});

export const agentRefSchema = z.object({ taskId: id, runId: id });

export type AgentEvent = z.infer<typeof agentEventSchema>;

export interface AgentRun {
  taskId: string;
  runId: string;
  /** Highest event seq applied; lower or equal seqs are replays and are ignored. */
  lastSeq: number;
  /** Events accepted for this run since it started. */
  total: number;
  /** Events no longer in `lines` (total - lines.length). */
  dropped: number;
  lines: JsonObject[];
}

/** Validates an agent event from the runtime and bounds its size for the document. */
export function boundedEvent(event: unknown): JsonObject {
  const parsed = agentEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new SyncError('SYNC_BAD_AGENT_EVENT', 'agent event must have type, seq and at', {
      issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
    });
  }
  const json = toJson(parsed.data);
  if (!isJsonObject(json)) throw new SyncError('SYNC_BAD_AGENT_EVENT', 'agent event must be an object');
  let truncated = false;
  for (const [key, value] of Object.entries(json)) {
    if (typeof value === 'string' && value.length > MAX_EVENT_STRING) {
      json[key] = value.slice(0, MAX_EVENT_STRING);
      truncated = true;
    }
  }
  if (JSON.stringify(json).length > MAX_EVENT_JSON) {
    return { type: parsed.data.type, seq: parsed.data.seq, at: parsed.data.at, truncated: true };
  }
  if (truncated) json['truncated'] = true;
  return json;
}

export function parseAgentRef(taskId: unknown, runId: unknown): { taskId: string; runId: string } {
  const parsed = agentRefSchema.safeParse({ taskId, runId });
  if (!parsed.success) throw new SyncError('SYNC_BAD_AGENT_EVENT', 'taskId and runId must be ids', { taskId, runId });
  return parsed.data;
}

/** Live path: appends one (already bounded) event to its run in place. Returns false for a replay. */
export function appendEvent(agents: Y.Map<unknown>, taskId: string, runId: string, event: JsonObject, maxLines: number): boolean {
  let run = agents.get(runId);
  if (!(run instanceof Y.Map)) {
    run = new Y.Map<unknown>();
    agents.set(runId, run);
    const created = run as Y.Map<unknown>;
    created.set('taskId', taskId);
    created.set('runId', runId);
    created.set('lastSeq', -1);
    created.set('total', 0);
    created.set('dropped', 0);
    created.set('lines', new Y.Array<unknown>());
  }
  const map = run as Y.Map<unknown>;
  const seq = event['seq'] as number;
  if (seq <= (map.get('lastSeq') as number)) return false;
  const lines = map.get('lines') as Y.Array<unknown>;
  lines.push([toYjs(event)]);
  if (lines.length > maxLines) lines.delete(0, lines.length - maxLines);
  const total = (map.get('total') as number) + 1;
  map.set('lastSeq', seq);
  map.set('total', total);
  map.set('dropped', total - lines.length);
  return true;
}

/** Rebuild path: the same rules as `appendEvent`, on plain data. */
export function reduceRuns(
  events: Iterable<{ taskId: string; runId: string; event: unknown }>,
  maxLines: number,
): Map<string, AgentRun> {
  const runs = new Map<string, AgentRun>();
  for (const item of events) {
    const { taskId, runId } = parseAgentRef(item.taskId, item.runId);
    const event = boundedEvent(item.event);
    let run = runs.get(runId);
    if (run === undefined) {
      run = { taskId, runId, lastSeq: -1, total: 0, dropped: 0, lines: [] };
      runs.set(runId, run);
    }
    const seq = event['seq'] as number;
    if (seq <= run.lastSeq) continue;
    run.lines.push(event);
    if (run.lines.length > maxLines) run.lines.splice(0, run.lines.length - maxLines);
    run.total++;
    run.lastSeq = seq;
    run.dropped = run.total - run.lines.length;
  }
  return runs;
}

/** Makes the 'agents' map equal to `runs`, touching only what differs. */
export function syncRuns(agents: Y.Map<unknown>, runs: Map<string, AgentRun>): void {
  for (const runId of [...agents.keys()]) if (!runs.has(runId)) agents.delete(runId);
  for (const [runId, run] of runs) {
    const json = run as unknown as JsonObject;
    const existing = agents.get(runId);
    if (existing instanceof Y.Map) syncMap(existing, json);
    else agents.set(runId, toYjs(json));
  }
}

/** Validates the session view handed over by the runtime. */
export function parseSessionView(view: unknown): JsonObject {
  let json: Json;
  try {
    json = toJson(view);
  } catch (error) {
    throw new SyncError('SYNC_BAD_VIEW', 'session view must be JSON-serialisable', { cause: String(error) });
  }
  if (!isJsonObject(json)) throw new SyncError('SYNC_BAD_VIEW', 'session view must be a JSON object');
  return json;
}

export function stateRoots(doc: Y.Doc): { meta: Y.Map<unknown>; session: Y.Map<unknown>; agents: Y.Map<unknown> } {
  return {
    meta: doc.getMap(STATE_ROOT.meta),
    session: doc.getMap(STATE_ROOT.session),
    agents: doc.getMap(STATE_ROOT.agents),
  };
}

/** The whole state document as plain JSON (what the console renders, what tests compare). */
export function stateToJson(doc: Y.Doc): { meta: unknown; session: unknown; agents: unknown } {
  const roots = stateRoots(doc);
  return { meta: roots.meta.toJSON(), session: roots.session.toJSON(), agents: roots.agents.toJSON() };
}
