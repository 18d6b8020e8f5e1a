/** What a protocol handler wants sent back; the server writes it (or, for `hang`, never answers). */
export type FakeReply =
  | { kind: 'send'; status: number; contentType: string; body: string }
  | { kind: 'hang' };

export function json(status: number, value: unknown): FakeReply {
  return { kind: 'send', status, contentType: 'application/json', body: JSON.stringify(value) };
}

/** Server-sent events; `event: name` lines are included when a name is given (OpenAI, Anthropic). */
export function sse(events: ReadonlyArray<{ event?: string; data: unknown }>): FakeReply {
  const body = events
    .map((e) => `${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`)
    .join('');
  return { kind: 'send', status: 200, contentType: 'text/event-stream', body };
}

export function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
