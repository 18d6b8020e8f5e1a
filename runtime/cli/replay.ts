import type { LogEntry } from '../log/log-entry.js';
import { replayEntries } from '../sessions/session-host.js';
import type { ApiClient } from './api-client.js';

/**
 * Rebuilds a session from its event log alone (fetched page by page over the API) with the pure
 * machines, optionally stopping at a sequence number. Nothing of the server's live state is used.
 */
export async function replaySession(client: ApiClient, sessionId: string, until: number | null) {
  const entries: LogEntry[] = [];
  let after = 0;
  for (;;) {
    const page = await client.request<{ events: LogEntry[] }>('GET', `/api/sessions/${encodeURIComponent(sessionId)}/events?after=${after}&limit=10000`);
    if (page.events.length === 0) break;
    for (const entry of page.events) if (until === null || entry.seq <= until) entries.push(entry);
    const last = page.events[page.events.length - 1];
    if (!last || (until !== null && last.seq >= until)) break;
    after = last.seq;
  }
  const { seq, view } = replayEntries(entries, null);
  return { seq, entries: entries.length, state: view };
}
