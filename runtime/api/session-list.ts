// `GET /api/sessions`, one page at a time: `?limit=&cursor=` -> `{sessions, nextCursor}`. The
// cursor is the position of the last session of the page (creation time and id), opaque to
// clients; summaries are kept per session view (views are cached, so an unchanged session costs
// a lookup, not a recount of its tasks).
import { z } from 'zod';
import type { SessionSummary } from '../../contracts/index.js';
import type { SessionView } from '../../actors/index.js';
import { ApiError } from '../errors.js';
import type { SessionPosition } from '../sessions/session-registry.js';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 500;

export const SessionListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
  cursor: z.string().min(1).max(512).optional(),
});

export function encodeCursor(position: SessionPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

const CursorShape = z.tuple([z.string().min(1).max(64), z.string().min(1).max(128)]);

/** A cursor this server did not make (or one cut short) is refused: 400 INVALID_CURSOR. */
export function decodeCursor(cursor: string): SessionPosition {
  let parsed: unknown;
  try {
    parsed = /^[A-Za-z0-9_-]+$/.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  const shape = CursorShape.safeParse(parsed);
  if (!shape.success) throw new ApiError('INVALID_CURSOR', 'the cursor is not one this server gave out; start again without it', { cursor: cursor.slice(0, 80) });
  return { createdAt: shape.data[0], id: shape.data[1] };
}

const summaries = new WeakMap<SessionView, SessionSummary>();

/** The list row of a session, computed once per view (a new view is built only after a change). */
export function summaryOf(view: SessionView): SessionSummary {
  let summary = summaries.get(view);
  if (!summary) {
    const counts: Record<string, number> = {};
    for (const task of view.tasks) counts[task.status] = (counts[task.status] ?? 0) + 1;
    summary = { id: view.id, title: view.title, repoPath: view.repoPath, status: view.status, createdAt: view.createdAt, taskCounts: counts, damage: view.damage };
    // Quarantined views are fresh copies on every call: remembering them would only hold memory.
    if (Object.isFrozen(view)) summaries.set(view, summary);
  }
  return summary;
}
