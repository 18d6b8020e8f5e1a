import { SyncError } from './errors.js';

/** The two documents every session has. */
export type SyncDocumentKind = 'state' | 'shared';

export interface SyncDocumentName {
  sessionId: string;
  kind: SyncDocumentKind;
  /** The canonical `session/{id}/{kind}` string. */
  name: string;
}

// Session ids come from the runtime (ULIDs, UUIDs or slugs). The character set is kept narrow
// because the id becomes part of LevelDB keys (`!` and `/` are separators there) and of log lines.
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const DOCUMENT_NAME = /^session\/([^/]+)\/(state|shared)$/;

export function isValidSessionId(id: string): boolean {
  return SESSION_ID.test(id);
}

export function assertSessionId(id: unknown): string {
  if (typeof id !== 'string' || !isValidSessionId(id)) {
    throw new SyncError('SYNC_BAD_SESSION_ID', 'session id must match ' + String(SESSION_ID), { id });
  }
  return id;
}

/** Parses a document name sent by a client; throws SYNC_BAD_DOCUMENT_NAME for anything else. */
export function parseDocumentName(name: unknown): SyncDocumentName {
  if (typeof name !== 'string' || name.length > 200) {
    throw new SyncError('SYNC_BAD_DOCUMENT_NAME', 'document name must be session/{id}/state|shared', { name });
  }
  const match = DOCUMENT_NAME.exec(name);
  const sessionId = match?.[1];
  const kind = match?.[2];
  if (sessionId === undefined || kind === undefined || !isValidSessionId(sessionId)) {
    throw new SyncError('SYNC_BAD_DOCUMENT_NAME', 'document name must be session/{id}/state|shared', { name });
  }
  return { sessionId, kind: kind as SyncDocumentKind, name };
}

export function documentName(sessionId: string, kind: SyncDocumentKind): string {
  return `session/${assertSessionId(sessionId)}/${kind}`;
}
