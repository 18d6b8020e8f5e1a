// Routing in cluster mode: a request about a session reaches the node that owns it. Any node
// takes the request; when another node owns the session, this one forwards it over HTTP to the
// owner's advertised URL and relays the answer. With no live owner (it died and its lease has not
// run out yet, or nobody has taken the session over yet) the answer is a retryable 503 with
// Retry-After, which clients retry until a new owner holds the lease.
import { ApiError, toApiError } from '../errors.js';
import type { FetchHandler } from '../http/fetch-handler.js';
import { MAX_BODY_BYTES } from '../http/api-core.js';
import { readRequestBody } from '../http/request-body.js';
import { encodeCursor, SessionListQuery } from '../api/session-list.js';
import { comparePositions } from '../sessions/session-registry.js';

/** Set on forwarded requests: the owner must serve them itself, never forward again (no loops). */
export const FORWARDED_HEADER = 'x-thalogos-forwarded-by';
/** Set on every routed answer: which node served it (operators and tests read it). */
export const SERVED_BY_HEADER = 'x-thalogos-node';

const SESSION_PATH = /^\/api\/sessions\/([A-Za-z0-9][A-Za-z0-9_.-]{0,127})(?:\/|$)/;
/** Hop-by-hop headers and those fetch recomputes; everything else is relayed as is. */
const DROPPED_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade']);

export type OwnerLookup = (sessionId: string) => Promise<{ self: true } | { self: false; id: string; url: string | null } | null>;

export type Owner = Awaited<ReturnType<OwnerLookup>>;

/** What the list fan-out needs: every live node, and whether some session has no live owner. */
export interface ListTargets {
  /** Other live nodes that own sessions (this node answers for its own). */
  others: { id: string; url: string }[];
  /** Sessions whose owner is dead or missing: the listing would be incomplete. */
  orphaned: string[];
}

export interface OwnerRoutingOptions {
  nodeId: string;
  ownerOf: OwnerLookup;
  /**
   * Whether the cluster knows the session at all. When given, a session nobody owns and nobody
   * knows is answered locally (404 SESSION_NOT_FOUND) instead of a 503 to retry forever.
   */
  sessionKnown?: (sessionId: string) => Promise<boolean>;
  /**
   * Whether this node still owns the session, asked after serving a request it owned: a session
   * handed over mid-request (a drain, a lost lease) is gone from this node's registry, and its
   * 404 becomes a retryable 503 (the new owner answers the retry).
   */
  stillOwned?: (sessionId: string) => boolean;
  /**
   * Placement of POST /api/sessions: the node holding the repository the body names (null when
   * nobody holds it: this node takes it). Without it creations are always served here.
   */
  placementOf?: (body: unknown) => Promise<Owner>;
  /** The nodes GET /api/sessions asks (without it the listing is this node's alone). */
  listTargets?: () => Promise<ListTargets>;
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
  /** Relays the request to another node's API (the caller read the body already, if any). */
  const forward = async (request: Request, url: URL, body: Buffer | undefined, target: { id: string; url: string }, what: string): Promise<Response> => {
    const headers = new Headers();
    request.headers.forEach((value, name) => {
      if (!DROPPED_HEADERS.has(name.toLowerCase())) headers.set(name, value);
    });
    headers.set(FORWARDED_HEADER, options.nodeId);
    try {
      const answer = await fetch(`${target.url}${url.pathname}${url.search}`, {
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
      // node takes over; until then the client is told to retry.
      return unavailable(`the owner of ${what} (${target.id}) did not answer: ${(error as Error).message}`, retryAfter, { owner: target.id });
    }
  };
  const readBody = async (request: Request): Promise<Buffer | Response> => {
    try {
      return await readRequestBody(request, MAX_BODY_BYTES);
    } catch (error) {
      const apiError = toApiError(error);
      return new Response(JSON.stringify(apiError.toJSON()), { status: apiError.status, headers: { 'content-type': 'application/json; charset=utf-8', connection: 'close' } });
    }
  };

  /** POST /api/sessions: created on the node that holds the repository (placement). */
  const create = async (request: Request, url: URL, placementOf: (body: unknown) => Promise<Owner>): Promise<Response> => {
    const body = await readBody(request);
    if (body instanceof Response) return body;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      // Not JSON: the API answers it (VALIDATION_FAILED) here.
    }
    let owner: Owner = null;
    try {
      owner = parsed === null ? null : await options.placementOf!(parsed);
    } catch {
      // The repository cannot be resolved (bad path, not allowed): the API here says why.
    }
    const again = new Request(request.url, { method: request.method, headers: request.headers, body });
    if (!owner || owner.self) return served(await inner(again));
    if (!owner.url) return unavailable(`the node holding this repository (${owner.id}) is gone; retry once another node takes it over`, retryAfter, { owner: owner.id });
    return forward(request, url, body, { id: owner.id, url: owner.url }, 'this repository');
  };

  /** GET /api/sessions: this node's sessions plus those of every other live owner. */
  const list = async (request: Request, url: URL, listTargets: () => Promise<ListTargets>): Promise<Response> => {
    let targets: ListTargets;
    try {
      targets = await listTargets();
    } catch (error) {
      return unavailable(`cannot list the cluster's nodes (Redis unreachable: ${(error as Error).message})`, retryAfter);
    }
    if (targets.orphaned.length > 0) {
      return unavailable(`${targets.orphaned.length} session(s) have no live owner yet; retry shortly`, retryAfter, { sessions: targets.orphaned });
    }
    const answers = await Promise.all([inner(request), ...targets.others.map((target) => forward(request, url, undefined, target, 'a listing'))]);
    const failed = answers.find((answer) => answer.status !== 200);
    if (failed) return served(failed);
    const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as ListPage[];
    return served(new Response(JSON.stringify(mergePages(bodies, url)), { status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } }));
  };

  /**
   * POST /api/tokens with session grants: the grants are member rows of those sessions, appended
   * under their leases, so the token is minted on the node that owns them.
   */
  const mint = async (request: Request, url: URL): Promise<Response> => {
    const body = await readBody(request);
    if (body instanceof Response) return body;
    const again = () => new Request(request.url, { method: request.method, headers: request.headers, body });
    let ids: string[] = [];
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { sessions?: { id?: unknown }[] };
      ids = Array.isArray(parsed.sessions) ? parsed.sessions.map((entry) => entry?.id).filter((id): id is string => typeof id === 'string') : [];
    } catch {
      // Not JSON: the API answers it here.
    }
    if (ids.length === 0) return served(await inner(again()));
    let owners: Owner[];
    try {
      owners = await Promise.all(ids.map((id) => options.ownerOf(id)));
    } catch (error) {
      return unavailable(`cannot tell who owns the granted sessions (Redis unreachable: ${(error as Error).message})`, retryAfter);
    }
    if (owners.every((owner) => owner?.self)) return served(await inner(again()));
    // Unknown sessions are refused by the API here (SESSION_NOT_FOUND), like in the embedded default.
    if (options.sessionKnown) {
      const known = await Promise.all(ids.map((id) => options.sessionKnown!(id))).catch(() => ids.map(() => true));
      if (known.some((value) => !value)) return served(await inner(again()));
    }
    const others = new Map(owners.filter((owner): owner is Extract<Owner, { self: false }> => owner !== null && !owner.self).map((owner) => [owner.id, owner]));
    const orphaned = owners.some((owner) => owner === null || (!owner.self && !owner.url));
    if (orphaned) return unavailable('a granted session has no live owner yet; retry shortly', retryAfter, { sessions: ids });
    const target = others.values().next().value;
    if (owners.some((owner) => owner?.self) || others.size > 1 || !target?.url) {
      const error = new ApiError('VALIDATION_FAILED', 'the granted sessions run on different nodes: mint the token with the sessions of one node, then add it to the others with PUT /api/sessions/:id/members/:tokenId', {
        issues: [{ path: 'sessions', message: 'sessions on more than one node' }],
      });
      return served(new Response(JSON.stringify(error.toJSON()), { status: error.status, headers: { 'content-type': 'application/json; charset=utf-8' } }));
    }
    return forward(request, url, body, { id: target.id, url: target.url }, 'the granted sessions');
  };

  return async (request) => {
    const url = new URL(request.url);
    const forwarded = request.headers.get(FORWARDED_HEADER) !== null;
    if (url.pathname === '/api/tokens' && request.method === 'POST' && !forwarded) return mint(request, url);
    if (url.pathname === '/api/sessions' && !forwarded) {
      if (request.method === 'POST' && options.placementOf) return create(request, url, options.placementOf);
      if (request.method === 'GET' && options.listTargets) return list(request, url, options.listTargets);
    }
    const sessionId = SESSION_PATH.exec(url.pathname)?.[1];
    if (!sessionId) return served(await inner(request));
    let owner: Owner;
    try {
      owner = await options.ownerOf(sessionId);
      if (!owner && options.sessionKnown && !(await options.sessionKnown(sessionId))) return served(await inner(request));
    } catch (error) {
      return unavailable(`cannot tell who owns session ${sessionId} (Redis unreachable: ${(error as Error).message})`, retryAfter);
    }
    if (owner?.self) {
      const answer = await inner(request);
      if (answer.status === 404 && options.stillOwned && !options.stillOwned(sessionId)) {
        await answer.body?.cancel();
        return unavailable(`session ${sessionId} moved to another node while the request was served; retry`, retryAfter, { sessionId });
      }
      return served(answer);
    }
    if (forwarded) {
      // Forwarded here but no longer ours: ownership moved in between. The client retries.
      return unavailable(`session ${sessionId} moved while the request was forwarded`, retryAfter, { sessionId });
    }
    if (!owner || !owner.url) {
      return unavailable(`session ${sessionId} has no live owner yet; retry shortly`, retryAfter, { sessionId, lastOwner: owner?.id ?? null });
    }
    let body: Buffer | undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const read = await readBody(request);
      if (read instanceof Response) return read;
      body = read;
    }
    return forward(request, url, body, { id: owner.id, url: owner.url }, `session ${sessionId}`);
  };
}

interface ListPage { sessions: Array<{ id: string; createdAt: string }>; nextCursor: string | null }

/**
 * One page of the cluster's list from every owner's page after the same cursor. Positions
 * (creation time, id) order sessions the same way on every node, so the first `limit` of the
 * merged pages are the cluster's first `limit`: a session before the last one taken would have
 * been on its own node's page. During a handover a session can briefly be listed by its old and
 * its new owner: it appears once.
 */
function mergePages(pages: ListPage[], url: URL): ListPage {
  const limit = SessionListQuery.shape.limit.parse(url.searchParams.get('limit') ?? undefined);
  const unique = new Map(pages.flatMap((page) => page.sessions).map((session) => [session.id, session]));
  const merged = [...unique.values()].sort((a, b) => comparePositions(a, b));
  const sessions = merged.slice(0, limit);
  const last = sessions[sessions.length - 1];
  const more = merged.length > limit || pages.some((page) => page.nextCursor != null);
  return { sessions, nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null };
}
