import { CSRF_HEADER, readCsrf, readToken, signOut } from './auth.js';

/** Every code the runtime may answer with (runtime/errors.ts), plus the console's own NETWORK. */
export type ApiErrorCode =
  | 'BAD_JSON' | 'VALIDATION_FAILED' | 'UNSUPPORTED_MEDIA_TYPE' | 'PAYLOAD_TOO_LARGE' | 'UNAUTHENTICATED'
  | 'FORBIDDEN' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'SESSION_NOT_FOUND' | 'TASK_NOT_FOUND' | 'TOKEN_NOT_FOUND' | 'MEMBER_NOT_FOUND'
  | 'CHECKPOINT_NOT_FOUND' | 'REPO_NOT_ALLOWED' | 'NOT_A_REPOSITORY' | 'NO_MAIN_BRANCH' | 'UNKNOWN_AGENT'
  | 'AGENT_UNAVAILABLE' | 'SESSION_BUSY' | 'SAVE_IN_PROGRESS' | 'ROLLBACK_IN_PROGRESS' | 'INVALID_STATE'
  | 'INTERNAL' | 'SHUTTING_DOWN' | 'NETWORK';

/** A refused or failed request, carrying the runtime's stable code as-is. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly code: ApiErrorCode | string,
    message: string,
    readonly status: number,
    readonly data?: unknown,
  ) {
    super(message);
  }

  toJSON(): { code: string; message: string; status: number; data?: unknown } {
    return { code: this.code, message: this.message, status: this.status, ...(this.data === undefined ? {} : { data: this.data }) };
  }
}

/** Answers that retrying cannot change: a refused token, a role too low, a session that is gone. */
export function isFatal(failure: ApiFailure): boolean {
  return failure.status === 401 || failure.status === 403 || failure.status === 404;
}

/**
 * The stored token was refused (revoked, or the runtime forgot it): forget it too and go to the
 * sign-in page, which brings the person back here afterwards.
 */
function tokenRefused(): void {
  if (typeof window === 'undefined' || window.location.pathname.startsWith('/sign-in')) return;
  signOut();
  const next = window.location.pathname + window.location.search;
  window.location.replace(`/sign-in?expired=1&next=${encodeURIComponent(next)}`);
}

export function isApiFailure(value: unknown): value is ApiFailure {
  return value instanceof ApiFailure;
}

/** Calls the runtime's HTTP API with the signed-in token (or the one given, when signing in). */
export async function api<T>(method: string, path: string, body?: unknown, token: string | null = readToken()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  // Signed in by the device cookie (sent by the browser): writes carry the CSRF token.
  const csrf = token ? null : readCsrf();
  if (csrf && method !== 'GET') headers[CSRF_HEADER] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiFailure('NETWORK', `The runtime could not be reached (${(error as Error).message}).`, 0);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiFailure('INTERNAL', `The runtime answered ${response.status} with something that is not JSON.`, response.status);
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; data?: unknown } } | null)?.error;
    if (response.status === 401 && ((token !== null && token === readToken()) || (token === null && csrf !== null))) tokenRefused();
    throw new ApiFailure(error?.code ?? 'INTERNAL', error?.message ?? `HTTP ${response.status}`, response.status, error?.data);
  }
  return parsed as T;
}

/**
 * Every session the caller may see: `GET /api/sessions` is paginated (`{sessions, nextCursor}`),
 * so the pages are followed, as large as the server allows.
 */
export async function listAllSessions<T>(): Promise<T[]> {
  const sessions: T[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '?limit=500' : `?limit=500&cursor=${encodeURIComponent(cursor)}`;
    const page: { sessions: T[]; nextCursor: string | null } = await api('GET', `/api/sessions${query}`);
    sessions.push(...page.sessions);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return sessions;
}
