import type { AgentEventDraft } from './agent-event.js';

/** A line parsed as a JSON object, or the `raw` event it becomes when it is not one. */
export function parseJsonObject(line: string): { ok: true; value: Record<string, unknown> } | { ok: false; raw: AgentEventDraft } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, raw: { type: 'raw', line, reason: 'not_json' } };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, raw: { type: 'raw', line, reason: 'invalid' } };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

export function unknownType(line: string): AgentEventDraft {
  return { type: 'raw', line, reason: 'unknown_type' };
}

export function invalid(line: string): AgentEventDraft {
  return { type: 'raw', line, reason: 'invalid' };
}
