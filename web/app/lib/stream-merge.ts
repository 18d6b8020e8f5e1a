import type { StreamLine } from './api-types.js';

/** Lines kept per agent run, as the state document keeps them. */
export const MAX_STREAM_LINES = 200;

/** Log entries as GET /api/sessions/:id/events returns them (only what the streams need). */
export interface LogPage {
  events: Array<{ seq: number; type: string; data: { runId?: string; event?: StreamLine } }>;
}

/**
 * Adds polled lines to the streams without repeating any: a run's lines are unique by their
 * `seq`, whichever source (state document or event log) delivered them first.
 */
export function mergeStreamLines(previous: Record<string, StreamLine[]>, entries: LogPage['events'], max = MAX_STREAM_LINES): Record<string, StreamLine[]> {
  const added: Record<string, StreamLine[]> = {};
  for (const entry of entries) {
    const runId = entry.data?.runId;
    const event = entry.data?.event;
    if (entry.type !== 'AGENT.EVENT' || !runId || !event || typeof event.seq !== 'number') continue;
    (added[runId] ??= []).push(event);
  }
  if (Object.keys(added).length === 0) return previous;
  const next = { ...previous };
  for (const [runId, lines] of Object.entries(added)) {
    const bySeq = new Map<number, StreamLine>();
    for (const line of next[runId] ?? []) bySeq.set(line.seq, line);
    for (const line of lines) if (!bySeq.has(line.seq)) bySeq.set(line.seq, line);
    const merged = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    next[runId] = merged.length > max ? merged.slice(-max) : merged;
  }
  return next;
}
