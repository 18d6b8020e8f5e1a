/**
 * Typed API errors. The `code` is stable: it reaches HTTP clients, the CLI and the console as-is,
 * so tests and callers branch on it, never on the message.
 */
export const API_ERROR_STATUS = {
  BAD_JSON: 400,
  VALIDATION_FAILED: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  SESSION_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  TOKEN_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  CHECKPOINT_NOT_FOUND: 404,
  REPO_NOT_ALLOWED: 403,
  NOT_A_REPOSITORY: 422,
  NO_MAIN_BRANCH: 422,
  UNKNOWN_AGENT: 422,
  SESSION_BUSY: 409,
  SAVE_IN_PROGRESS: 409,
  ROLLBACK_IN_PROGRESS: 409,
  INVALID_STATE: 409,
  INTERNAL: 500,
  SHUTTING_DOWN: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_STATUS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.status = API_ERROR_STATUS[code];
  }

  toJSON(): { error: { code: ApiErrorCode; message: string; data?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.data === undefined ? {} : { data: this.data }) } };
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}
