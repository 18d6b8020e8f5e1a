import { ERROR_CODES, isErrorCode, type ErrorCode } from '../contracts/index.js';

/**
 * Typed API errors. The `code` is stable: it reaches HTTP clients, the CLI and the console as-is,
 * so tests and callers branch on it, never on the message. Status and retryability come from the
 * one registry in contracts/error-codes.ts.
 */
export type ApiErrorCode = ErrorCode;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly retryable: boolean;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
  }

  toJSON(): { error: { code: ApiErrorCode; message: string; retryable: boolean; data?: unknown } } {
    return { error: { code: this.code, message: this.message, retryable: this.retryable, ...(this.data === undefined ? {} : { data: this.data }) } };
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/**
 * The one place where any error becomes an API error: an ApiError as it is; any other error that
 * carries a registered `code` (git-engine, adapters, sync, the session host) keeps its code,
 * message and data; anything else is an internal error whose details stay in the server log.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (isErrorCode(code) && code !== 'INTERNAL') {
    const data = (error as { data?: unknown }).data;
    return new ApiError(code, error instanceof Error ? error.message : String(error), data);
  }
  return new ApiError('INTERNAL', 'internal error');
}
