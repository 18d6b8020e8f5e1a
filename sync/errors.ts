/**
 * Typed sync errors. The `code` is stable: it reaches logs, the runtime and (as a close reason)
 * the console, so callers branch on it, never on the message.
 */
export const SYNC_ERROR_CODES = [
  'SYNC_BAD_DOCUMENT_NAME',
  'SYNC_UNAUTHORIZED',
  'SYNC_UNKNOWN_SESSION',
  'SYNC_BAD_SESSION_ID',
  'SYNC_BAD_AGENT_EVENT',
  'SYNC_BAD_VIEW',
  'SYNC_STORAGE',
  'SYNC_CLOSED',
] as const;

export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number];

export class SyncError extends Error {
  override readonly name = 'SyncError';
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  toJSON(): { name: 'SyncError'; code: SyncErrorCode; message: string; data?: unknown } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.data === undefined ? {} : { data: this.data }),
    };
  }
}

export function isSyncError(value: unknown): value is SyncError {
  return value instanceof SyncError;
}

/**
 * What Hocuspocus needs from a rejected hook to refuse a document: `reason` travels to the
 * provider in the permission-denied message, `code` is the WebSocket close code we use when the
 * socket carries nothing else (4401 Unauthorized / 4403 Forbidden, as in @hocuspocus/common).
 */
export interface Refusal {
  code: 4401 | 4403;
  reason: string;
  error: SyncError;
}

export function refusal(code: 4401 | 4403, error: SyncError): Refusal {
  return { code, reason: `${code === 4401 ? 'unauthorized' : 'forbidden'}: ${error.code}`, error };
}

export function isRefusal(value: unknown): value is Refusal {
  return (
    typeof value === 'object' &&
    value !== null &&
    'code' in value &&
    ((value as Refusal).code === 4401 || (value as Refusal).code === 4403) &&
    (value as Refusal).error instanceof SyncError
  );
}
