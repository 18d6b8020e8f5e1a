// Routing in cluster mode: a request about a session reaches the node that owns it. Any node
// takes the request; when another node owns the session, this one forwards it over HTTP to the
// owner's advertised URL and relays the answer. With no live owner (it died and its lease has not
// run out yet, or nobody has taken the session over yet) the answer is a retryable 503 with
// Retry-After, which clients retry until a new owner holds the lease.
import { ApiError, toApiError } from '../errors.js';
import type { FetchHandler } from '../http/fetch-handler.js';
import { MAX_BODY_BYTES } from '../http/api-core.js';
import { readRequestBody } from '../http/request-body.js';

/** Set on forwarded requests: the owner must serve them itself, never forward again (no loops). */
export const FORWARDED_HEADER = 'x-thalogos-forwarded-by';
/** Set on every routed answer: which node served it (operators and tests read it). */
export const SERVED_BY_HEADER = 'x-thalogos-node';

const SESSION_PATH = /^\/api\/sessions\/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})(?:\/|$)/;
/** Hop-by-hop headers and those fetch recomputes; everything else is relayed as is. */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade']);

export type OwnerLookup = (sessionId: string) => Promise<{ self: true } | { self: false; id: string; url: string | null } | null>;

export interface OwnerRoutingOptions {
  nodeId: string;
  ownerOf: OwnerLookup;
  /** How long the owner may take to answer a forwarded request. */
  timeoutMs?: number;
  /** Seconds a client should wait before retrying a 503 (about a lease renewal period). */
  retryAfterSeconds?: number;
}

function unavailable(message: string, retryAfterSeconds: number, data?: unknown): Response {
  const error = new ApiError('OWNER_UNAVAILABLE', message, data);
  return new Response(JSON.stringify(error.toJSON()), {
    status: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(retryAfterSeconds), 'cache-control': 'no-store' },
  });
}

/** Wraps the node's API handler so session requests are served by their owner. */
export function withOwnerRouting(inner: FetchHandler, options: OwnerRoutingOptions): FetchHandler {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const served = async (response: Response): Promise<Response> => {
    const headers = new Headers(response.headers);
    headers.set(SERVED_BY_HEADER, options.nodeId);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
  return async (request) => {
    const url = new URL(request.url);
    const sessionId = SESSION_PATH.exec(url.pathname)?.[1];
    if (!sessionId) return served(await inner(request));
    let owner: Awaited<ReturnType<OwnerLookup>>;
    try {
      owner = await options.ownerOf(sessionId);
    } catch (error) {
      return unavailable(`cannot tell who owns session ${sessionId} (Redis unreachable: ${(error as Error).message})`, retryAfter);
    }
    if (owner?.self) return served(await inner(request));
    if (request.headers.get(FORWARDED_HEADER)) {
      // Forwarded here but no longer ours: ownership moved in between. The client retries.
      return unavailable(`session ${sessionId} moved while the request was forwarded`, retryAfter, { sessionId });
    }
    if (!owner || !owner.url) {
      return unavailable(`session ${sessionId} has no live owner yet; retry shortly`, retryAfter, { sessionId, lastOwner: owner?.id ?? null });
    }
    let body: Buffer | undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      try {
        body = await readRequestBody(request, MAX_BODY_BYTES);
      } catch (error) {
        const apiError = toApiError(error);
        return new Response(JSON.stringify(apiError.toJSON()), { status: apiError.status, headers: { 'content-type': 'application/json; charset=utf-8', connection: 'close' } });
      }
    }
    const headers = new Headers();
    request.headers.forEach((value, name) => {
      if (!DROPPED_HEADERS.has(name.toLowerCase())) headers.set(name, value);
    });
    headers.set(FORWARDED_HEADER, options.nodeId);
    try {
      const answer = await fetch(`${owner.url}${url.pathname}${url.search}`, {
        method: request.method,
        headers,
        ...(body && body.length > 0 ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
      const relayed = new Headers();
      answer.headers.forEach((value, name) => {
        if (!DROPPED_HEADERS.has(name.toLowerCase()) && name.toLowerCase() !== 'content-encoding') relayed.set(name, value);
      });
      return new Response(await answer.arrayBuffer(), { status: answer.status, headers: relayed });
    } catch (error) {
      // Refused, reset or timed out: the owner is down or stuck. Its lease runs out and another
      // node takes the session; until then the client is told to retry.
      return unavailable(`the owner of session ${sessionId} (${owner.id}) did not answer: ${(error as Error).message}`, retryAfter, { sessionId, owner: owner.id });
    }
  };
}
