// Serves a task's dev server through the runtime: /preview/{session}/{task}/{ticket}/... is proxied
// to 127.0.0.1:{the task's port}. The ticket is the only credential (previews/preview-tickets.ts):
// browsers send no Authorization header on a link, and the console's cookies are never used here.
// The preview's pages get `Content-Security-Policy: sandbox` (an opaque origin), so a hostile task's
// page cannot read the console's storage or call the API as the person looking at it.
import type { Logger } from 'pino';
import type { TokenStore } from '../auth/token-store.js';
import type { SessionAccess } from '../auth/session-access.js';
import { ApiError } from '../errors.js';
import type { FetchHandler } from '../http/fetch-handler.js';
import type { PreviewTickets } from './preview-tickets.js';
import type { TaskPorts } from './task-ports.js';

const ID = '[A-Za-z0-9][A-Za-z0-9_.-]{0,127}';
const PREVIEW_PATH = new RegExp(`^/preview/(${ID})/(${ID})/([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)(/.*)?$`);
/** Headers that describe one hop, or carry credentials the task's server must never see. */
const REQUEST_DROP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'authorization', 'cookie', 'te', 'trailer', 'content-length']);
const RESPONSE_DROP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'set-cookie', 'content-length', 'content-encoding', 'trailer']);
const SANDBOX_POLICY = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

export interface PreviewDeps {
  tickets: PreviewTickets;
  ports: TaskPorts;
  tokens: TokenStore;
  access: SessionAccess;
  logger: Logger;
}

export function previewPrefix(sessionId: string, taskId: string, ticket: string): string {
  return `/preview/${sessionId}/${taskId}/${ticket}`;
}

export function withPreviews(inner: FetchHandler, deps: PreviewDeps): FetchHandler {
  return async (request) => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith('/preview/')) return inner(request);
    try {
      return await proxy(request, url, deps);
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError('INTERNAL', 'internal error');
      if (!(error instanceof ApiError)) deps.logger.error({ err: error }, 'preview request failed');
      return new Response(JSON.stringify(apiError.toJSON()), { status: apiError.status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } });
    }
  };
}

async function proxy(request: Request, url: URL, deps: PreviewDeps): Promise<Response> {
  const match = PREVIEW_PATH.exec(url.pathname);
  if (!match) throw new ApiError('NOT_FOUND', 'a preview link looks like /preview/SESSION/TASK/TICKET/');
  const [, sessionId, taskId, ticket, rest] = match as unknown as [string, string, string, string, string | undefined];
  const grant = deps.tickets.verify(ticket, sessionId, taskId);
  if (!grant) throw new ApiError('UNAUTHENTICATED', 'this preview link is invalid or has expired: open the preview again from the console');
  const record = deps.tokens.get(grant.tokenId);
  if (!record || record.revokedAt) throw new ApiError('UNAUTHENTICATED', 'the token this preview link was issued to is revoked');
  if (deps.access.roleOn({ tokenId: record.id, name: record.name, role: record.role }, sessionId) === null) {
    throw new ApiError('SESSION_NOT_FOUND', `no session ${sessionId}`);
  }
  // Without the trailing slash, the page's relative links would resolve outside the ticket.
  if (rest === undefined) return new Response(null, { status: 308, headers: { location: `${url.pathname}/${url.search}` } });
  const port = deps.ports.get(sessionId, taskId);
  if (port === null) throw new ApiError('PREVIEW_NOT_AVAILABLE', `task ${taskId} has no running process with a port`, { taskId });
  const headers = new Headers();
  request.headers.forEach((value, key) => {
    if (!REQUEST_DROP.has(key.toLowerCase())) headers.set(key, value);
  });
  headers.set('x-forwarded-prefix', previewPrefix(sessionId, taskId, ticket));
  let upstream: Response;
  try {
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
    upstream = await fetch(`http://127.0.0.1:${port}${rest}${url.search}`, {
      method: request.method,
      headers,
      redirect: 'manual',
      ...(hasBody ? { body: await request.arrayBuffer() } : {}),
    });
  } catch (error) {
    throw new ApiError('PREVIEW_NOT_LISTENING', `nothing answers on task ${taskId}'s port ${port} yet (${(error as Error).message})`, { taskId, port });
  }
  const out = new Headers();
  upstream.headers.forEach((value, key) => {
    if (!RESPONSE_DROP.has(key.toLowerCase())) out.set(key, value);
  });
  // A redirect to an absolute path of the dev server stays inside the preview.
  const location = upstream.headers.get('location');
  if (location?.startsWith('/') && !location.startsWith('//')) out.set('location', `${previewPrefix(sessionId, taskId, ticket)}${location}`);
  out.set('content-security-policy', SANDBOX_POLICY);
  out.set('x-content-type-options', 'nosniff');
  out.set('cache-control', 'no-store');
  return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: out });
}
