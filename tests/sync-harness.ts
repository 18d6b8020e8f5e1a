// Shared by tests/sync-*.test.ts, tests/sync-child-server.ts and bench/fanout.ts: a real uWS app
// on 127.0.0.1 with a random port, a real LevelDB in a temp dir, real Hocuspocus providers.
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { Level } from 'level';
import uWS from 'uWebSockets.js';
import * as Y from 'yjs';
import type { Clock } from '../contracts/clock.js';
import { type SyncServer, type SyncUser, createSyncServer } from '../sync/index.js';

// `ws` ships no types here; the provider only needs a WebSocket constructor.
export const WebSocketPolyfill = (createRequire(import.meta.url)('ws') as { WebSocket: unknown }).WebSocket;

export const USERS: Record<string, SyncUser> = {
  'tok-admin': { userId: 'u-admin', name: 'Ada', role: 'admin' },
  'tok-operator': { userId: 'u-op', name: 'Oli', role: 'operator' },
  'tok-reviewer': { userId: 'u-rev', name: 'Rae', role: 'reviewer' },
  'tok-viewer': { userId: 'u-view', name: 'Vic', role: 'viewer' },
};

export interface TestServer {
  url: string;
  port: number;
  sync: SyncServer;
  sessions: Set<string>;
  dir: string;
  db: Level<string, Uint8Array>;
  close(options?: { keepDir?: boolean }): Promise<void>;
}

export async function startSyncServer(
  options: {
    dir?: string;
    port?: number;
    sessions?: string[];
    maxAgentLines?: number;
    presenceWindowMs?: number;
    awarenessPerSecond?: number;
    maxBackpressure?: number;
    authTimeoutMs?: number;
    stateIdleMs?: number;
    clock?: Clock;
    /** Extra routes on the same uWS app (the kill -9 child uses it). */
    onApp?: (app: uWS.TemplatedApp) => void;
  } = {},
): Promise<TestServer> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'thalogos-sync-')));
  const db = new Level<string, Uint8Array>(join(dir, 'db'), { valueEncoding: 'view' });
  await db.open();
  const sessions = new Set(options.sessions ?? ['s1']);
  const app = uWS.App();
  const sync = await createSyncServer({
    app,
    db: db.sublevel<string, Uint8Array>('sync', { valueEncoding: 'view' }),
    authenticate: async (token) => USERS[token] ?? null,
    sessionExists: async (id) => sessions.has(id),
    ...(options.maxAgentLines === undefined ? {} : { maxAgentLines: options.maxAgentLines }),
    ...(options.presenceWindowMs === undefined ? {} : { presenceWindowMs: options.presenceWindowMs }),
    ...(options.awarenessPerSecond === undefined ? {} : { awarenessPerSecond: options.awarenessPerSecond }),
    ...(options.maxBackpressure === undefined ? {} : { maxBackpressure: options.maxBackpressure }),
    ...(options.authTimeoutMs === undefined ? {} : { authTimeoutMs: options.authTimeoutMs }),
    ...(options.stateIdleMs === undefined ? {} : { stateIdleMs: options.stateIdleMs }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  options.onApp?.(app);
  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', options.port ?? 0, (socket) => (socket ? resolve(socket) : reject(new Error('listen failed'))));
  });
  const port = uWS.us_socket_local_port(listenSocket as unknown as uWS.us_socket);
  return {
    url: `ws://127.0.0.1:${port}/sync`,
    port,
    sync,
    sessions,
    dir,
    db,
    async close({ keepDir = false } = {}) {
      uWS.us_listen_socket_close(listenSocket);
      await sync.close();
      await db.close();
      if (!keepDir && options.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestClient {
  provider: HocuspocusProvider;
  doc: Y.Doc;
  denied: string[];
  destroy(): void;
}

/** One provider on its own socket (as each browser tab would have). */
export function connect(
  url: string,
  name: string,
  token: string | null,
  options: { document?: Y.Doc; socket?: HocuspocusProviderWebsocket } = {},
): TestClient {
  const doc = options.document ?? new Y.Doc();
  const denied: string[] = [];
  const provider = new HocuspocusProvider({
    ...(options.socket ? { websocketProvider: options.socket } : { url, WebSocketPolyfill }),
    name,
    token,
    document: doc,
    onAuthenticationFailed: ({ reason }) => denied.push(reason),
  } as ConstructorParameters<typeof HocuspocusProvider>[0]);
  if (options.socket) provider.attach();
  return {
    provider,
    doc,
    denied,
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Polls a condition (bounded); tests wait on observable state, never on fixed sleeps. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function synced(client: TestClient): Promise<void> {
  return waitFor(() => client.provider.isSynced, 'provider synced');
}

/** Synced and every local change acknowledged by the server ("applied"). */
export function acknowledged(client: TestClient): Promise<void> {
  return waitFor(() => client.provider.isSynced && !client.provider.hasUnsyncedChanges, 'changes acknowledged');
}
