import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ApiError } from '../errors.js';
import type { TokenStore } from '../auth/token-store.js';
import { roleAtLeast } from '../auth/roles.js';
import { readBody } from './read-body.js';
import { roleForRequest, type SessionAccessPolicy } from './session-access-check.js';
import type { HttpMethod, Reply, RequestContext } from './route.js';
import type { Router } from './router.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Every id in a path (sessions, tasks, tokens) is short and made of these characters. */
const PATH_PARAM = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export interface HttpHandlerDeps {
  router: Router;
  tokens: TokenStore;
  /** Per-session membership: session routes check the caller's role on that session. */
  sessionAccess?: SessionAccessPolicy;
  logger: Logger;
  maxBodyBytes?: number;
  /** Requests no API route claims (the web console) go here; answers 404 when absent. */
  fallback?: (ctx: FallbackRequest, res: HttpResponse, isAborted: () => boolean) => void;
  onRequest?: (method: string, route: string, status: number) => void;
  /** While the server stops, every request (keep-alive ones included) gets 503 SHUTTING_DOWN. */
  isShuttingDown?: () => boolean;
}

export interface FallbackRequest {
  method: string;
  url: string;
  query: string;
  headers: Record<string, string>;
}

/** Binds the router to a uWS app: parsing, auth, validation and typed error replies live here. */
export function mountHttp(app: TemplatedApp, deps: HttpHandlerDeps): void {
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_BODY_BYTES;
  app.any('/*', (res, req) => {
    // uWS invalidates `req` once this callback returns: copy everything needed first.
    const method = req.getMethod().toUpperCase();
    const url = req.getUrl();
    const query = req.getQuery() ?? '';
    const headers = readHeaders(req);
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const match = deps.router.match(method, url);
    if (match.kind === 'not_found' && deps.fallback && !url.startsWith('/api/') && !deps.isShuttingDown?.()) {
      deps.fallback({ method, url, query, headers }, res, () => aborted);
      return;
    }
    const requestId = randomUUID();
    const send = (reply: Reply & { closeConnection?: boolean }, routeName: string): void => {
      if (aborted) return;
      aborted = true; // a response has been written: uWS forbids touching `res` again
      res.cork(() => writeReply(res, reply, requestId));
      deps.onRequest?.(method, routeName, reply.status);
    };
    void (async () => {
      let routeName = 'unmatched';
      try {
        if (deps.isShuttingDown?.()) throw new ApiError('SHUTTING_DOWN', 'the server is shutting down');
        if (match.kind === 'not_found') throw new ApiError('NOT_FOUND', `no route for ${method} ${url}`);
        if (match.kind === 'method_not_allowed') {
          throw new ApiError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${url}`, { allowed: match.allowed });
        }
        const { route, params } = match;
        routeName = `${route.method} ${route.pattern}`;
        for (const [name, value] of Object.entries(params)) {
          if (!PATH_PARAM.test(value)) {
            throw new ApiError('VALIDATION_FAILED', `path parameter ${name} is malformed`, { issues: [{ path: name, message: 'expected letters, digits, _ . or -' }] });
          }
        }
        const principal = authenticate(headers, deps.tokens);
        if (route.access !== 'public') {
          if (!principal) throw new ApiError('UNAUTHENTICATED', 'a valid bearer token is required');
          const role = roleForRequest(route, params, principal, deps.sessionAccess);
          if (!roleAtLeast(role, route.access)) {
            throw new ApiError('FORBIDDEN', `this needs the ${route.access} role; you have ${role}${role === principal.role ? '' : ' on this session'}`);
          }
        }
        let body: unknown = undefined;
        if (METHODS_WITH_BODY.has(method)) {
          const declared = headers['content-length'] ? Number(headers['content-length']) : null;
          const raw = await readBody(res, maxBodyBytes, Number.isFinite(declared) ? declared : null);
          body = parseJsonBody(raw, headers['content-type']);
        }
        if (route.body) {
          const parsed = route.body.safeParse(body ?? {});
          if (!parsed.success) {
            throw new ApiError('VALIDATION_FAILED', 'request body is invalid', { issues: formatIssues(parsed.error) });
          }
          body = parsed.data;
        }
        const ctx: RequestContext = {
          method: method as HttpMethod,
          path: url,
          params,
          query: new URLSearchParams(query),
          headers,
          body,
          principal,
          requestId,
        };
        send(await route.handle(ctx), routeName);
      } catch (error) {
        const apiError = toApiError(error);
        if (apiError.status >= 500) deps.logger.error({ err: error, requestId, method, url }, 'request failed');
        // An oversized body may still be streaming in: answer and close rather than read the rest.
        send({ status: apiError.status, body: apiError.toJSON(), closeConnection: apiError.code === 'PAYLOAD_TOO_LARGE' }, routeName);
      }
    })();
  });
}

function readHeaders(req: HttpRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  req.forEach((key, value) => {
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

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SHUTTING_DOWN') return new ApiError('SHUTTING_DOWN', 'the server is shutting down');
  return new ApiError('INTERNAL', 'internal error');
}

function writeReply(res: HttpResponse, reply: Reply & { closeConnection?: boolean }, requestId: string): void {
  const isJson = reply.contentType === undefined;
  const payload = isJson ? JSON.stringify(reply.body) : String(reply.body);
  res.writeStatus(statusLine(reply.status));
  res.writeHeader('content-type', reply.contentType ?? 'application/json; charset=utf-8');
  res.writeHeader('x-request-id', requestId);
  res.writeHeader('cache-control', 'no-store');
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.writeHeader(name, value);
  res.end(payload, reply.closeConnection ?? false);
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Status'}`;
}
