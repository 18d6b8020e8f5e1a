import * as Y from 'yjs';
import { z } from 'zod';
import { SyncError } from './errors.js';
import { type Json, type JsonObject, isJsonObject, syncPlainArray, toJson } from './json-yjs.js';

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

/**
 * One agent run in the document. Counters are not separate fields: each line carries `_n`, its
 * 1-based position in the run's whole stream, so total = last line's `_n`, dropped = total -
 * lines.length, and the replay guard is the last line's `seq`. Why: a counter field rewritten on
 * every event leaves a Yjs tombstone per event, and it interleaves clocks between consecutive
 * lines, which stops Yjs from merging the tombstones of trimmed lines into one.
 */
export interface AgentRun {
  taskId: string;
  runId: string;
  lines: JsonObject[];
}

export interface AgentLine extends JsonObject {
  _n: number;
  seq: number;
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
  delete json['_n']; // reserved for the line number
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

/** Accepts events in order (skipping replays: seq not above the last one) and numbers them. */
function accept(events: readonly JsonObject[], previous: { seq: number; n: number }): AgentLine[] {
  const accepted: AgentLine[] = [];
  let { seq, n } = previous;
  for (const event of events) {
    const eventSeq = event['seq'] as number;
    if (eventSeq <= seq) continue;
    seq = eventSeq;
    n += 1;
    accepted.push({ ...event, _n: n, seq: eventSeq });
  }
  return accepted;
}

function position(last: AgentLine | undefined): { seq: number; n: number } {
  return last === undefined ? { seq: -1, n: 0 } : { seq: last.seq, n: last._n };
}

/** Live path: appends a batch of (already bounded) events to one run in place, one push. */
export function appendEvents(
  agents: Y.Map<unknown>,
  taskId: string,
  runId: string,
  events: readonly JsonObject[],
  maxLines: number,
): number {
  let run = agents.get(runId);
  if (!(run instanceof Y.Map)) {
    const created = new Y.Map<unknown>();
    agents.set(runId, created);
    created.set('taskId', taskId);
    created.set('runId', runId);
    created.set('lines', new Y.Array<unknown>());
    run = created;
  }
  const lines = (run as Y.Map<unknown>).get('lines') as Y.Array<AgentLine>;
  const accepted = accept(events, position(lines.length > 0 ? lines.get(lines.length - 1) : undefined));
  if (accepted.length === 0) return 0;
  // Only the newest maxLines of this batch can survive; do not insert what would be trimmed.
  const kept = accepted.slice(-maxLines);
  lines.push(kept);
  if (lines.length > maxLines) lines.delete(0, lines.length - maxLines);
  return accepted.length;
}

/** Rebuild path: the same rules as `appendEvents`, on plain data. */
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
      run = { taskId, runId, lines: [] };
      runs.set(runId, run);
    }
    const lines = run.lines as AgentLine[];
    const accepted = accept([event], position(lines[lines.length - 1]));
    lines.push(...accepted);
    if (lines.length > maxLines) lines.splice(0, lines.length - maxLines);
  }
  return runs;
}

/** Makes the 'agents' map equal to `runs`, touching only what differs. */
export function syncRuns(agents: Y.Map<unknown>, runs: Map<string, AgentRun>): void {
  for (const runId of [...agents.keys()]) if (!runs.has(runId)) agents.delete(runId);
  for (const [runId, run] of runs) {
    let map = agents.get(runId);
    if (!(map instanceof Y.Map) || !(map.get('lines') instanceof Y.Array)) {
      map = new Y.Map<unknown>();
      agents.set(runId, map);
      (map as Y.Map<unknown>).set('lines', new Y.Array<unknown>());
    }
    const target = map as Y.Map<unknown>;
    for (const key of [...target.keys()]) if (!['taskId', 'runId', 'lines'].includes(key)) target.delete(key);
    if (target.get('taskId') !== run.taskId) target.set('taskId', run.taskId);
    if (target.get('runId') !== run.runId) target.set('runId', run.runId);
    // Lines live inline as plain JSON, exactly as appendEvents pushes them.
    syncPlainArray(target.get('lines') as Y.Array<unknown>, run.lines);
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
