import type { IncomingMessage } from 'node:http';
import { Connection, Hocuspocus } from '@hocuspocus/server';
import type { Extension } from '@hocuspocus/server';
import type { Redis as RedisRelay } from '@hocuspocus/extension-redis';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t } from 'uWebSockets.js';
import * as Y from 'yjs';
import { type SyncDocumentName, documentName, parseDocumentName, assertSessionId } from './document-name.js';
import { type Clock, systemClock } from '../contracts/clock.js';
import { SyncError, refusal } from './errors.js';
import { createInboundGuard, type GuardSocket, type GuardUser } from './inbound-guard.js';
import { FRAME, documentUpdateOf, readFrameHeader } from './message-frame.js';
import { sharedRoots, taskComments, type TaskLineComment } from './shared-document.js';
import { StateProjector } from './state-projector.js';
import { boundedEvent, parseAgentRef, parseSessionView, reduceRuns } from './state-document.js';
import { type SyncDatabase, UpdateStore } from './update-store.js';
import { type DocumentStore, RedisUpdateStore } from './redis-update-store.js';
import { UwsSocketBridge } from './uws-socket-bridge.js';

export type SyncRole = 'viewer' | 'reviewer' | 'operator' | 'admin';

export interface SyncUser {
  userId: string;
  name: string;
  role: SyncRole;
}

export interface SyncServerOptions {
  /** The runtime's single uWS app; the sync route is registered on it (no second server). */
  app: TemplatedApp;
  /** WebSocket route. Default '/sync'. */
  path?: string;
  /** Resolves a bearer token to a user, or null when it is not valid. */
  authenticate(token: string): Promise<SyncUser | null>;
  sessionExists(sessionId: string): Promise<boolean>;
  /**
   * The user's role on one session, or null when they may not see it (not a member). A refused
   * user is told exactly what an unknown session tells (4403 SYNC_UNKNOWN_SESSION). Default: the
   * token's role on every session.
   */
  roleOnSession?(user: SyncUser, sessionId: string): Promise<SyncRole | null>;
  /** Where both documents of every session are persisted (a sublevel is fine; any value encoding). */
  db: SyncDatabase;
  /**
   * Cluster mode: documents live in Redis instead of `db`, and Hocuspocus's Redis extension joins
   * each document (edits and presence) across every node that has it open.
   */
  cluster?: { redis: Redis; keyPrefix: string; nodeId: string };
  logger?: Logger;
  /** Events kept per agent run in the state document. Default 200. */
  maxAgentLines?: number;
  /**
   * A session's state document is held open for projection until this long after the last write
   * (then released; watchers keep it loaded on their own, the next write reloads it). Default 60 s.
   */
  stateIdleMs?: number;
  /** Presence frames per socket are merged and sent at most once per window. Default 50 ms. */
  presenceWindowMs?: number;
  /**
   * Time for every window, limit and timeout sync keeps (presence merging, awareness rate limits,
   * the authentication deadline, idle releases, lazy writes). The runtime passes its own clock.
   */
  clock?: Clock;
  /** fsync each storage batch (survives power loss, not only kill -9). Default false. */
  fsync?: boolean;
  /**
   * A socket that has not authenticated any document this long after opening is closed with 4401.
   * Default 30 s. Providers authenticate as soon as the socket opens; this only catches sockets
   * that connect and say nothing (uWS's automatic pings would otherwise keep them forever).
   */
  authTimeoutMs?: number;
  /** Largest frame a client may send. Default 16 MiB (a reconnecting client's offline edits). */
  maxPayloadLength?: number;
  /**
   * Bytes uWS may buffer per socket before it drops frames. Default 4 MiB: room for a full state
   * document sync plus a burst of updates. A socket that still overflows is closed and resyncs.
   */
  maxBackpressure?: number;
  /** Largest awareness (presence) frame a client may send; larger ones are dropped. Default 4 KiB. */
  maxAwarenessBytes?: number;
  /** Awareness frames per second per socket and document (burst twice that); more are dropped. Default 10. */
  awarenessPerSecond?: number;
}

export interface SyncServer {
  hocuspocus: Hocuspocus;
  projectSession(sessionId: string, view: unknown): Promise<void>;
  appendAgentEvent(
    sessionId: string,
    taskId: string,
    runId: string,
    event: { type: string; seq: number; at: string; [key: string]: unknown },
  ): void;
  readSharedMemory(sessionId: string): Promise<string>;
  /** The line comments on one task in the shared document (`comments`), ordered by path, line and time. */
  readTaskComments(sessionId: string, taskId: string): Promise<TaskLineComment[]>;
  rebuildState(
    sessionId: string,
    view: unknown,
    agentEvents: Iterable<{ taskId: string; runId: string; event: unknown }>,
  ): Promise<void>;
  connections(): number;
  /**
   * Closes (4401) every socket authenticated as this user (only those holding a document of
   * `sessionId`, when given), e.g. when their token is revoked or their membership changed.
   */
  disconnectUser(userId: string, sessionId?: string): number;
  close(): Promise<void>;
}

/** What we keep per WebSocket, from upgrade to close. */
interface SocketData {
  request: SocketRequest;
  bridge?: UwsSocketBridge;
}

/** The part of an http.IncomingMessage Hocuspocus reads (headers and url), plus our bookkeeping. */
interface SocketRequest extends GuardSocket {
  headers: Record<string, string>;
  url: string;
  method: 'GET';
  /** Documents this socket is authenticated for (or being authenticated for). */
  documents: Set<string>;
  /** Set on the first successful authentication. */
  authenticated: boolean;
  /** Users this socket authenticated as; a revoked token closes every socket it opened. */
  userIds?: Set<string>;
  bridge?: UwsSocketBridge;
}

interface AuthContext {
  user: SyncUser;
  document: SyncDocumentName;
  /** Hocuspocus's onDisconnect payload carries the context but not the request. */
  socket: SocketRequest;
}

const noopLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;

export async function createSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const path = options.path ?? '/sync';
  const logger = options.logger ?? noopLogger;
  const maxAgentLines = options.maxAgentLines ?? 200;
  if (!Number.isInteger(maxAgentLines) || maxAgentLines < 1) {
    throw new SyncError('SYNC_BAD_VIEW', 'maxAgentLines must be a positive integer', { maxAgentLines });
  }
  const clock = options.clock ?? systemClock;
  const onCorruptRecord = (name: string, key: unknown, error: unknown) => logger.error({ documentName: name, key, err: error }, 'skipped a corrupt Yjs record');
  const store: DocumentStore = options.cluster
    ? new RedisUpdateStore(options.cluster.redis, { keyPrefix: options.cluster.keyPrefix, clock, onCorruptRecord })
    : new UpdateStore(options.db, { clock, sync: options.fsync ?? false, onCorruptRecord });
  // Loaded only in cluster mode: the embedded default never pulls in the relay and its clients.
  const relay: RedisRelay | null = options.cluster
    ? new (await import('@hocuspocus/extension-redis')).Redis({ redis: options.cluster.redis, identifier: options.cluster.nodeId, prefix: `${options.cluster.keyPrefix}sync` })
    : null;
  const bridges = new Set<UwsSocketBridge>();
  const openRequests = new Set<SocketRequest>();
  const projectors = new Map<string, StateProjector>();
  let closing = false;
  const guard = createInboundGuard({
    logger,
    clock,
    ...(options.maxAwarenessBytes !== undefined ? { maxAwarenessBytes: options.maxAwarenessBytes } : {}),
    ...(options.awarenessPerSecond !== undefined ? { awarenessPerSecond: options.awarenessPerSecond, awarenessBurst: options.awarenessPerSecond * 2 } : {}),
  });

  const extension: Extension = {
    extensionName: 'thalogos-sync',

    async onAuthenticate(data) {
      const request = data.request as unknown as SocketRequest;
      let document: SyncDocumentName;
      try {
        document = parseDocumentName(data.documentName);
      } catch (error) {
        throw refuse(request, refusal(4403, error as SyncError));
      }
      request.documents.add(document.name);
      let user: SyncUser | null = null;
      try {
        user = data.token ? await options.authenticate(data.token) : null;
      } catch (error) {
        logger.error({ err: error }, 'authenticate threw; refusing the connection');
      }
      if (user === null) {
        throw refuse(request, refusal(4401, new SyncError('SYNC_UNAUTHORIZED', 'missing or invalid token')), document.name);
      }
      if (!(await options.sessionExists(document.sessionId))) {
        throw refuse(
          request,
          refusal(4403, new SyncError('SYNC_UNKNOWN_SESSION', 'no such session', { sessionId: document.sessionId })),
          document.name,
        );
      }
      const role = options.roleOnSession ? await options.roleOnSession(user, document.sessionId) : user.role;
      if (role === null) {
        // Not a member: indistinguishable from a session that does not exist (to the client).
        logger.info({ userId: user.userId, sessionId: document.sessionId }, 'sync: refused a token that is not a member');
        throw refuse(
          request,
          refusal(4403, new SyncError('SYNC_UNKNOWN_SESSION', 'no such session', { sessionId: document.sessionId })),
          document.name,
        );
      }
      user = { ...user, role };
      // The state document is written only by the server; the shared one by reviewers and above.
      data.connectionConfig.readOnly = document.kind === 'state' || user.role === 'viewer';
      request.authenticated = true;
      (request.userIds ??= new Set()).add(user.userId);
      // From now on the guard checks this document's frames as this user (identity from the token).
      const guardUser: GuardUser = { userId: user.userId, name: user.name, role: user.role };
      request.users.set(document.name, guardUser);
      logger.debug({ documentName: document.name, userId: user.userId, readOnly: data.connectionConfig.readOnly }, 'sync connection authenticated');
      const context: AuthContext = { user, document, socket: request };
      return context;
    },

    async onLoadDocument(data) {
      const loaded = await store.load(data.documentName);
      // Applied before afterLoadDocument registers the persistence listener: not written again.
      if (loaded !== null) Y.applyUpdate(data.document, Y.encodeStateAsUpdate(loaded));
    },

    async afterLoadDocument(data) {
      const name = data.documentName;
      data.document.on('update', (update: Uint8Array, origin: unknown) => {
        // Client updates were written before Hocuspocus applied them (beforeHandleMessage); in
        // cluster mode those relayed from another node were written by the node that took them.
        if (origin instanceof Connection) return;
        if (relay !== null && origin === relay.redisTransactionOrigin) return;
        // Server-side writes may share a batch: they are rebuildable (state) and every caller that
        // needs durability waits on a barrier, which writes what is pending at once.
        store.append(name, update, true).catch((error: unknown) => logger.error({ err: error, documentName: name }, 'lost a server-side update'));
      });
    },

    async afterUnloadDocument(data) {
      store.release(data.documentName);
      guard.release(data.documentName);
    },

    async beforeHandleMessage(data) {
      let type: number;
      try {
        type = readFrameHeader(data.update).type;
      } catch {
        throw { code: 4400, reason: 'malformed frame' };
      }
      if (type === FRAME.Stateless || type === FRAME.BroadcastStateless) {
        // Nothing here uses stateless messages; relaying them would let a viewer spam everyone.
        throw { code: 4403, reason: 'stateless messages are not accepted' };
      }
      // Hocuspocus itself refuses updates on read-only connections (and answers "not applied").
      if (data.connection.readOnly) return;
      const update = documentUpdateOf(data.update);
      if (update === null || isEmptyUpdate(update)) return;
      try {
        Y.decodeUpdate(update);
      } catch {
        throw { code: 4400, reason: 'malformed Yjs update' };
      }
      // Write-ahead: Hocuspocus applies the update, broadcasts it and sends the client its
      // "applied" acknowledgement only after this hook resolves, i.e. once the update is stored.
      await store.append(data.documentName, update);
    },

    async onDisconnect(data) {
      const socket = (data.context as Partial<AuthContext> | undefined)?.socket;
      socket?.documents.delete(data.documentName);
      socket?.users.delete(data.documentName);
    },
  };

  function refuse(request: SocketRequest, value: ReturnType<typeof refusal>, name?: string) {
    logger.info({ code: value.error.code }, 'sync connection refused');
    if (name !== undefined) request.documents.delete(name);
    // Hocuspocus answers the document with permission-denied (carrying `reason`). If the socket
    // carries no other document, close it too: an unauthenticated socket has no business staying.
    setImmediate(() => {
      if (request.documents.size === 0) request.bridge?.close(value.code, value.reason);
    });
    return { code: value.code, reason: value.reason };
  }

  const hocuspocus = new Hocuspocus({
    name: 'thalogos-sync',
    quiet: true,
    extensions: relay ? [extension, relay] : [extension],
    yDocOptions: { gc: true, gcFilter: () => true },
  });

  options.app.ws<SocketData>(path, {
    compression: 0,
    maxPayloadLength: options.maxPayloadLength ?? 16 * 1024 * 1024,
    maxBackpressure: options.maxBackpressure ?? 4 * 1024 * 1024,
    // uWS pings idle sockets itself and closes dead ones; Hocuspocus's own ping check (30 s) only
    // drops document connections, not the socket.
    idleTimeout: 60,
    sendPingsAutomatically: true,
    upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t) {
      if (closing) {
        res.writeStatus('503 Service Unavailable').end('shutting down');
        return;
      }
      const headers: Record<string, string> = {};
      req.forEach((key, value) => {
        headers[key] = value;
      });
      const query = req.getQuery();
      const request: SocketRequest = {
        headers,
        url: query ? `${req.getUrl()}?${query}` : req.getUrl(),
        method: 'GET',
        documents: new Set(),
        users: new Map(),
        authenticated: false,
      };
      res.upgrade<SocketData>(
        { request },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open(ws) {
      const data = ws.getUserData();
      const bridge = new UwsSocketBridge(ws, {
        clock,
        presenceWindowMs: options.presenceWindowMs ?? 50,
        onDropped: () => logger.warn('sync socket overflowed maxBackpressure; closing it so it resyncs'),
        inbound: (frame) => guard.check(frame, data.request),
      });
      data.bridge = bridge;
      data.request.bridge = bridge;
      bridges.add(bridge);
      openRequests.add(data.request);
      const deadline = clock.setTimeout(() => {
        if (!data.request.authenticated) bridge.close(4401, 'unauthorized: no authentication in time');
      }, options.authTimeoutMs ?? 30_000);
      bridge.once('close', () => clock.clearTimeout(deadline));
      hocuspocus.handleConnection(bridge as never, data.request as unknown as IncomingMessage, {});
    },
    message(ws, message, isBinary) {
      ws.getUserData().bridge?.handleMessage(message, isBinary);
    },
    drain(ws) {
      ws.getUserData().bridge?.handleDrain();
    },
    pong(ws) {
      ws.getUserData().bridge?.handlePong();
    },
    close(ws, code, message) {
      const bridge = ws.getUserData().bridge;
      openRequests.delete(ws.getUserData().request);
      if (bridge === undefined) return;
      bridges.delete(bridge);
      bridge.handleClosed(code, message);
    },
  });

  function projector(sessionId: string): StateProjector {
    const name = documentName(sessionId, 'state');
    let existing = projectors.get(name);
    if (existing === undefined) {
      existing = new StateProjector(
        hocuspocus,
        name,
        maxAgentLines,
        () => store.barrier(name),
        (error) => logger.error({ err: error, documentName: name }, 'state projection failed'),
        options.stateIdleMs ?? 60_000,
        clock,
      );
      projectors.set(name, existing);
    }
    return existing;
  }

  function assertOpen(): void {
    if (closing) throw new SyncError('SYNC_CLOSED', 'sync server is closed');
  }

  /** Reads the session's shared document, loaded or stored (a loaded one is already stored: write-ahead). */
  async function withSharedDoc<T>(sessionId: string, read: (doc: Y.Doc) => T, empty: T): Promise<T> {
    const name = documentName(sessionId, 'shared');
    const live = hocuspocus.documents.get(name);
    if (live !== undefined) return read(live);
    const stored = await store.load(name);
    if (!hocuspocus.documents.has(name)) store.release(name);
    return stored === null ? empty : read(stored);
  }

  return {
    hocuspocus,

    async projectSession(sessionId, view) {
      assertOpen();
      await projector(assertSessionId(sessionId)).project(parseSessionView(view));
    },

    appendAgentEvent(sessionId, taskId, runId, event) {
      assertOpen();
      const ref = parseAgentRef(taskId, runId);
      projector(assertSessionId(sessionId)).append(ref.taskId, ref.runId, boundedEvent(event));
    },

    async readSharedMemory(sessionId) {
      return withSharedDoc(sessionId, (doc) => sharedRoots(doc).memory.toString(), '');
    },

    async readTaskComments(sessionId, taskId) {
      return withSharedDoc(sessionId, (doc) => taskComments(sharedRoots(doc).comments, taskId), []);
    },

    async rebuildState(sessionId, view, agentEvents) {
      assertOpen();
      const runs = reduceRuns(agentEvents, maxAgentLines);
      await projector(assertSessionId(sessionId)).rebuild(parseSessionView(view), runs);
    },

    connections() {
      return bridges.size;
    },

    disconnectUser(userId, sessionId) {
      let closed = 0;
      const prefix = sessionId === undefined ? null : `session/${sessionId}/`;
      for (const request of [...openRequests]) {
        if (!request.userIds?.has(userId) || !request.bridge) continue;
        if (prefix !== null && ![...request.users.keys()].some((name) => name.startsWith(prefix))) continue;
        request.bridge.close(4401, 'unauthorized: token revoked');
        closed += 1;
      }
      return closed;
    },

    async close() {
      if (closing) return;
      closing = true;
      for (const bridge of [...bridges]) bridge.close(1001, 'server shutting down');
      await Promise.all([...projectors.values()].map((p) => p.close()));
      projectors.clear();
      await waitForUnload(hocuspocus, 5_000);
      await store.flush();
      // The relay's own subscriber and publisher connections (duplicates of the runtime's).
      await relay?.onDestroy().catch(() => undefined);
    },
  };
}

/** An empty v1 update (no structs, no deletions) is what an in-sync client's step 2 carries. */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0;
}

// Real time on purpose: this waits for Hocuspocus's own asynchronous unload (store hooks, then
// destroy), which runs on I/O, not on the injected clock; a test clock that never advances must not
// make close() hang.
async function waitForUnload(hocuspocus: Hocuspocus, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (hocuspocus.getDocumentsCount() > 0 && Date.now() < deadline) {
    // Unloading is asynchronous (store hooks, then destroy); poll briefly rather than patch hooks.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
