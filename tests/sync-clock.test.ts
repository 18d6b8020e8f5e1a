// Sync keeps its windows, limits and deadlines on the clock it is given (issue 10: "the runtime
// and sync take their clock and timers from outside"). Each test drives a ManualClock and shows the
// behaviour waits for it: real time passing changes nothing, advancing the clock does it at once.
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from './helpers/manual-clock.js';
import { type TestClient, type TestServer, connect, startSyncServer, synced, waitFor } from './sync-harness.js';

const STATE = 'session/s1/state';
const SHARED = 'session/s1/shared';
const WebSocket = (createRequire(import.meta.url)('ws') as { WebSocket: new (url: string) => RawSocket }).WebSocket;
interface RawSocket {
  on(event: 'close', fn: (code: number) => void): void;
  on(event: 'open' | 'error', fn: (...args: unknown[]) => void): void;
  terminate(): void;
}

let server: TestServer | null = null;
const clients: TestClient[] = [];
const sockets: RawSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.terminate();
  await server?.close();
  server = null;
});

const realPause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sync on an injected clock', () => {
  it('closes a socket that never authenticates when the clock, not the process, passes the deadline', async () => {
    const clock = new ManualClock();
    server = await startSyncServer({ clock, authTimeoutMs: 50 });
    const socket = new WebSocket(server.url);
    sockets.push(socket);
    let closedWith: number | null = null;
    socket.on('close', (code) => (closedWith = code));
    await new Promise((resolve, reject) => (socket.on('open', resolve), socket.on('error', reject)));
    await realPause(400); // eight deadlines of real time
    expect(closedWith).toBeNull();
    clock.advance(50);
    await waitFor(() => closedWith !== null, 'the unauthenticated socket closed');
    expect(closedWith).toBe(4401);
  });

  it('merges presence for one window of the injected clock before relaying it', async () => {
    const clock = new ManualClock();
    server = await startSyncServer({ clock, presenceWindowMs: 50, awarenessPerSecond: 1000 });
    const a = connect(server.url, SHARED, 'tok-admin');
    const b = connect(server.url, SHARED, 'tok-operator');
    clients.push(a, b);
    await Promise.all([synced(a), synced(b)]);
    const seenByB = () => b.provider.awareness!.getStates().get(a.doc.clientID)?.['looking'];
    a.provider.setAwarenessField('looking', 'task t1');
    await realPause(300);
    expect(seenByB()).toBeUndefined();
    clock.advance(50);
    await waitFor(() => seenByB() === 'task t1', 'presence relayed once the window passed');
  });

  it('refills the awareness rate limit from the injected clock', async () => {
    const clock = new ManualClock();
    // 1 frame/s with a burst of 2; presence relayed at once (no window) so only the limit counts.
    server = await startSyncServer({ clock, presenceWindowMs: 0, awarenessPerSecond: 1 });
    const a = connect(server.url, SHARED, 'tok-admin');
    const b = connect(server.url, SHARED, 'tok-operator');
    clients.push(a, b);
    await Promise.all([synced(a), synced(b)]);
    const seenByB = () => b.provider.awareness!.getStates().get(a.doc.clientID)?.['n'];
    // The burst went on connecting (the provider's first awareness frames); send until one is dropped.
    for (let n = 1; n <= 5; n++) a.provider.setAwarenessField('n', n);
    await realPause(1_500); // more than a refill of real time
    const before = seenByB();
    expect(before).not.toBe(5);
    a.provider.setAwarenessField('n', 6);
    await realPause(300);
    expect(seenByB()).toBe(before);
    clock.advance(1_000);
    a.provider.setAwarenessField('n', 7);
    await waitFor(() => seenByB() === 7, 'a frame accepted after the clock refilled the limit');
  });

  it('releases an idle state document after stateIdleMs of the injected clock', async () => {
    const clock = new ManualClock();
    server = await startSyncServer({ clock, stateIdleMs: 100 });
    await server.sync.projectSession('s1', { id: 's1', title: 'idle on the test clock' });
    await realPause(500);
    expect(server.sync.hocuspocus.documents.has(STATE)).toBe(true);
    clock.advance(100);
    await waitFor(() => !server!.sync.hocuspocus.documents.has(STATE), 'state document released');
  });
});
