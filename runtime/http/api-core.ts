// The HTTP API as a Fetch handler: routing, authentication, body parsing and validation, typed
// error replies. Nothing here knows the transport (uWS lives in ./uws/), so tests drive the whole
// API in-process with `new Request(...)`.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Principal, TokenStore } from '../auth/token-store.js';
import { roleAtLeast } from '../auth/roles.js';
import { ApiError, toApiError } from '../errors.js';
import { CLOSE_CONNECTION_HEADER, type FetchHandler } from './fetch-handler.js';
import { readRequestBody } from './request-body.js';
import { roleForRequest, type SessionAccessPolicy } from './session-access-check.js';
import type { HttpMethod, Reply, RequestContext } from './route.js';
import type { Router } from './router.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Every id in a path (sessions, tasks, tokens) is short and made of these characters. */
const PATH_PARAM = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export interface ApiCoreDeps {
  router: Router;
  tokens: TokenStore;
  logger: Logger;
  maxBodyBytes?: number;
  /** Requests no API route claims (the web console) go here; answers 404 when absent. */
  fallback?: FetchHandler;
  onRequest?: (method: string, route: string, status: number) => void;
  /** While the server stops, every request gets 503 SHUTTING_DOWN. */
  isShuttingDown?: () => boolean;
  /** Per-session membership: session routes check the caller's role on that session. */
  sessionAccess?: SessionAccessPolicy;
  /** A request without a bearer token may be signed in by a device cookie (auth/session-cookie.ts). */
  cookieAuth?: (headers: Record<string, string>, method: string, publicRoute: boolean) => Principal | null;
}

export function createApiCore(deps: ApiCoreDeps): FetchHandler {
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  return async (request) => {
    const method = request.method.toUpperCase();
    const url = new URL(request.url);
    const match = deps.router.match(method, url.pathname);
    if (match.kind === 'not_found' && deps.fallback && !url.pathname.startsWith('/api/') && !deps.isShuttingDown?.()) {
      return deps.fallback(request);
    }
    const requestId = randomUUID();
    let routeName = 'unmatched';
    let reply: Reply;
    let closeConnection = false;
    try {
      if (deps.isShuttingDown?.()) throw new ApiError('SHUTTING_DOWN', 'the server is shutting down');
      if (match.kind === 'not_found') throw new ApiError('NOT_FOUND', `no route for ${method} ${url.pathname}`);
      if (match.kind === 'method_not_allowed') {
        throw new ApiError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`, { allowed: match.allowed });
      }
      const { route, params } = match;
      routeName = `${route.method} ${route.pattern}`;
      for (const [name, value] of Object.entries(params)) {
        if (!PATH_PARAM.test(value)) {
          throw new ApiError('VALIDATION_FAILED', `path parameter ${name} is malformed`, { issues: [{ path: name, message: 'expected letters, digits, _ . or -' }] });
        }
      }
      const headers = headersOf(request);
      const principal = authenticate(headers, deps.tokens)
        ?? (!headers.authorization && headers.cookie ? (deps.cookieAuth?.(headers, method, route.access === 'public') ?? null) : null);
      if (route.access !== 'public') {
        if (!principal) throw new ApiError('UNAUTHENTICATED', 'a valid bearer token is required');
        const role = roleForRequest(route, params, principal, deps.sessionAccess);
        if (!roleAtLeast(role, route.access)) {
          throw new ApiError('FORBIDDEN', `this needs the ${route.access} role; you have ${role}${role === principal.role ? '' : ' on this session'}`);
        }
      }
      let body: unknown = undefined;
      if (METHODS_WITH_BODY.has(method)) body = parseJsonBody(await readRequestBody(request, maxBodyBytes), headers['content-type']);
      if (route.body) {
        const parsed = route.body.safeParse(body ?? {});
        if (!parsed.success) throw new ApiError('VALIDATION_FAILED', 'request body is invalid', { issues: formatIssues(parsed.error) });
        body = parsed.data;
      }
      const ctx: RequestContext = { method: method as HttpMethod, path: url.pathname, params, query: url.searchParams, headers, body, principal, requestId };
      reply = await route.handle(ctx);
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError.status >= 500) deps.logger.error({ err: error, requestId, method, url: url.pathname }, 'request failed');
      reply = { status: apiError.status, body: apiError.toJSON() };
      // An oversized body may still be streaming in: answer and close rather than read the rest.
      closeConnection = apiError.code === 'PAYLOAD_TOO_LARGE';
      if (apiError.retryable && apiError.status === 503) reply.headers = { 'retry-after': '1' };
    }
    deps.onRequest?.(method, routeName, reply.status);
    return toResponse(reply, requestId, closeConnection);
  };
}

function headersOf(request: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key.toLowerCase()] = value;
  });
  return headers;
}

function authenticate(headers: Record<string, string>, tokens: TokenStore) {
  const header = headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) return null;
  return tokens.authenticate(match[1]);
}

function parseJsonBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  if (contentType && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', `expected application/json, got ${contentType}`);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new ApiError('BAD_JSON', `request body is not valid JSON: ${(error as Error).message}`);
  }
}

export function formatIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

function toResponse(reply: Reply, requestId: string, closeConnection: boolean): Response {
  const isJson = reply.contentType === undefined;
  const headers = new Headers({
    'content-type': reply.contentType ?? 'application/json; charset=utf-8',
    'x-request-id': requestId,
    'cache-control': 'no-store',
  });
  for (const [name, value] of Object.entries(reply.headers ?? {})) headers.set(name, value);
  if (closeConnection) headers.set(CLOSE_CONNECTION_HEADER, 'close');
  const payload = reply.status === 204 ? null : isJson ? JSON.stringify(reply.body) : String(reply.body);
  return new Response(payload, { status: reply.status, headers });
}
