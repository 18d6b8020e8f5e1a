import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import {
  type TestClient,
  type TestServer,
  WebSocketPolyfill,
  acknowledged,
  connect,
  startSyncServer,
  synced,
  waitFor,
} from './sync-harness.js';

const SHARED = 'session/s1/shared';
const STATE = 'session/s1/state';

let server: TestServer | null = null;
const clients: TestClient[] = [];
const sockets: HocuspocusProviderWebsocket[] = [];

function client(name: string, token: string | null, options?: Parameters<typeof connect>[3]): TestClient {
  const c = connect(server!.url, name, token, options);
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = null;
});

describe('sync: collaboration over the uWS bridge', () => {
  it('50 concurrent providers on one session converge', async () => {
    server = await startSyncServer();
    const all = Array.from({ length: 50 }, () => client(SHARED, 'tok-reviewer'));
    await Promise.all(all.map(synced));
    expect(server.sync.connections()).toBe(50);
    // Everyone writes at once: a chat message, a memory edit and a review comment each.
    all.forEach((c, i) => {
      c.doc.transact(() => {
        const { memory, chat, comments } = {
          memory: c.doc.getText('memory'),
          chat: c.doc.getArray('chat'),
          comments: c.doc.getMap('comments'),
        };
        memory.insert(0, `[${i}]`);
        chat.push([{ id: `m${i}`, userId: 'u-rev', name: 'Rae', text: `hello ${i}`, at: '2026-01-01T00:00:00Z' }]);
        const key = `t1:src/a.ts:${i % 5}`;
        if (!comments.has(key)) comments.set(key, new Y.Array());
      });
    });
    await Promise.all(all.map(acknowledged));
    await waitFor(() => all.every((c) => c.doc.getArray('chat').length === 50), 'all chat messages everywhere', 20_000);
    const reference = all[0]!.doc;
    const expected = {
      memory: reference.getText('memory').toString(),
      chat: reference.getArray('chat').toJSON(),
      comments: reference.getMap('comments').toJSON(),
    };
    await waitFor(
      () => all.every((c) => c.doc.getText('memory').toString() === expected.memory),
      'identical memory everywhere',
    );
    for (const c of all) {
      expect(c.doc.getArray('chat').toJSON()).toEqual(expected.chat);
      expect(c.doc.getMap('comments').toJSON()).toEqual(expected.comments);
    }
    for (let i = 0; i < 50; i++) expect(expected.memory).toContain(`[${i}]`);
    expect(new Set(expected.chat.map((m: { id: string }) => m.id)).size).toBe(50);
    // The server's own copy is the same document.
    expect(await server.sync.readSharedMemory('s1')).toBe(expected.memory);
  });

  it('a client that reconnects after missing updates catches up (both ways)', async () => {
    server = await startSyncServer();
    const stayer = client(SHARED, 'tok-admin');
    const socket = new HocuspocusProviderWebsocket({ url: server.url, WebSocketPolyfill });
    sockets.push(socket);
    const leaver = client(SHARED, 'tok-reviewer', { socket });
    await Promise.all([synced(stayer), synced(leaver)]);
    stayer.doc.getText('memory').insert(0, 'before;');
    await waitFor(() => leaver.doc.getText('memory').toString() === 'before;', 'first edit arrives');

    socket.disconnect();
    await waitFor(() => !leaver.provider.isSynced, 'leaver offline');
    for (let i = 0; i < 20; i++) stayer.doc.getArray('chat').push([{ id: `c${i}`, userId: 'u-admin', name: 'Ada', text: `missed ${i}`, at: 'x' }]);
    stayer.doc.getText('memory').insert(stayer.doc.getText('memory').length, 'while-away;');
    await acknowledged(stayer);
    // Offline edit on the other side.
    leaver.doc.getMap('annotations').set('checkpoint/2026-01-01-1', new Y.Array());
    expect(leaver.doc.getArray('chat').length).toBe(0);

    await socket.connect();
    await waitFor(() => leaver.doc.getArray('chat').length === 20, 'missed chat arrives');
    await acknowledged(leaver);
    await waitFor(() => stayer.doc.getMap('annotations').has('checkpoint/2026-01-01-1'), 'offline edit arrives');
    expect(leaver.doc.getText('memory').toString()).toBe('before;while-away;');
    expect(Y.encodeStateVector(leaver.doc)).toEqual(Y.encodeStateVector(stayer.doc));
  });

  it("a viewer's updates are rejected: never reach other clients or storage", async () => {
    server = await startSyncServer();
    const reviewer = client(SHARED, 'tok-reviewer');
    const viewer = client(SHARED, 'tok-viewer');
    await Promise.all([synced(reviewer), synced(viewer)]);
    expect(viewer.provider.authorizedScope).toBe('readonly');
    expect(reviewer.provider.authorizedScope).toBe('read-write');

    viewer.doc.getText('memory').insert(0, 'viewer-was-here');
    viewer.doc.getArray('chat').push([{ id: 'v1', userId: 'u-view', name: 'Vic', text: 'spam', at: 'x' }]);
    // The server handles one socket's frames in order: once the reviewer sees the presence the
    // viewer set after writing, the viewer's writes would have reached the reviewer first.
    viewer.provider.setAwarenessField('after', 'writes');
    await waitFor(
      () => reviewer.provider.awareness!.getStates().get(viewer.doc.clientID)?.['after'] === 'writes',
      'viewer presence reaches the reviewer',
    );
    expect(reviewer.doc.getText('memory').toString()).toBe('');
    reviewer.doc.getText('memory').insert(0, 'sentinel');
    await acknowledged(reviewer);
    await waitFor(() => viewer.doc.getText('memory').toString().includes('sentinel'), 'viewer receives reviewer edits');
    expect(reviewer.doc.getText('memory').toString()).toBe('sentinel');
    expect(reviewer.doc.getArray('chat').length).toBe(0);
    // The server answered "not applied" for the viewer's changes.
    expect(viewer.provider.hasUnsyncedChanges).toBe(true);
    expect(await server.sync.readSharedMemory('s1')).toBe('sentinel');

    // Storage: restart on the same LevelDB and look with a fresh client.
    const dir = server.dir;
    for (const c of clients.splice(0)) c.destroy();
    await server.close({ keepDir: true });
    server = await startSyncServer({ dir });
    const fresh = client(SHARED, 'tok-admin');
    await synced(fresh);
    expect(fresh.doc.getText('memory').toString()).toBe('sentinel');
    expect(fresh.doc.getArray('chat').length).toBe(0);
    await server.close();
    server = null;
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  });

  it('the state document is read-only for everyone, admins included', async () => {
    server = await startSyncServer();
    await server.sync.projectSession('s1', { id: 's1', title: 'Demo', status: 'running', tasks: [] });
    const admin = client(STATE, 'tok-admin');
    const other = client(STATE, 'tok-operator');
    await Promise.all([synced(admin), synced(other)]);
    expect(admin.provider.authorizedScope).toBe('readonly');
    admin.doc.getMap('session').set('status', 'hacked');
    admin.doc.getMap('agents').set('fake', 'run');
    await server.sync.projectSession('s1', { id: 's1', title: 'Demo 2', status: 'running', tasks: [] });
    await waitFor(() => other.doc.getMap('session').get('title') === 'Demo 2', 'projection arrives');
    expect(other.doc.getMap('session').get('status')).toBe('running');
    expect(other.doc.getMap('agents').has('fake')).toBe(false);
    expect(admin.provider.hasUnsyncedChanges).toBe(true);
    const live = server.sync.hocuspocus.documents.get(STATE)!;
    expect(live.getMap('session').get('status')).toBe('running');
  });

  it('refuses a bad token, a missing token, an unknown session and a malformed name (4401/4403)', async () => {
    server = await startSyncServer();
    const writer = client(SHARED, 'tok-admin');
    await synced(writer);
    writer.doc.getText('memory').insert(0, 'secret');
    await acknowledged(writer);

    const cases: Array<[string, string | null, number, string]> = [
      [SHARED, 'tok-forged', 4401, 'SYNC_UNAUTHORIZED'],
      [SHARED, null, 4401, 'SYNC_UNAUTHORIZED'],
      ['session/nope/shared', 'tok-admin', 4403, 'SYNC_UNKNOWN_SESSION'],
      ['session/s1/secrets', 'tok-admin', 4403, 'SYNC_BAD_DOCUMENT_NAME'],
      ['../../etc/passwd', 'tok-admin', 4403, 'SYNC_BAD_DOCUMENT_NAME'],
    ];
    for (const [name, token, code, reason] of cases) {
      const closes: number[] = [];
      const socket = new HocuspocusProviderWebsocket({
        url: server.url,
        WebSocketPolyfill,
        onClose: ({ event }) => closes.push(event.code),
      });
      sockets.push(socket);
      const refused = client(name, token, { socket });
      await waitFor(() => refused.denied.length > 0 && closes.length > 0, `refusal of ${name}`);
      expect(refused.denied[0]).toContain(reason);
      expect(closes[0]).toBe(code);
      expect(refused.provider.isSynced).toBe(false);
      expect(refused.doc.getText('memory').toString()).toBe('');
      socket.destroy();
    }
  });

  it('closes a socket that never authenticates (4401), keeps one that did', async () => {
    server = await startSyncServer({ authTimeoutMs: 300 });
    const good = client(SHARED, 'tok-viewer');
    await synced(good);
    const Ws = WebSocketPolyfill as new (url: string) => { on(event: string, fn: (code: number) => void): void; terminate(): void };
    const silent = new Ws(server.url);
    const code = await new Promise<number>((resolve) => silent.on('close', resolve));
    silent.terminate();
    expect(code).toBe(4401);
    // The authenticated socket opened first, so its deadline has passed too: it is still there.
    expect(good.provider.isSynced).toBe(true);
    expect(server.sync.connections()).toBe(1);
  });

  it('a refusal on a multiplexed socket does not close the documents it already carries', async () => {
    server = await startSyncServer();
    const closes: number[] = [];
    const socket = new HocuspocusProviderWebsocket({ url: server.url, WebSocketPolyfill, onClose: ({ event }) => closes.push(event.code) });
    sockets.push(socket);
    const state = client(STATE, 'tok-viewer', { socket });
    const shared = client(SHARED, 'tok-viewer', { socket });
    await Promise.all([synced(state), synced(shared)]);
    const refused = client('session/nope/shared', 'tok-viewer', { socket });
    await waitFor(() => refused.denied.length > 0, 'refusal');
    expect(refused.denied[0]).toContain('SYNC_UNKNOWN_SESSION');
    // Still live: a projection reaches the state provider over the same socket.
    await server.sync.projectSession('s1', { id: 's1', title: 'after refusal' });
    await waitFor(() => state.doc.getMap('session').get('title') === 'after refusal', 'projection after refusal');
    expect(closes).toEqual([]);
    expect(server.sync.connections()).toBe(1);
  });

  it('presence frames are merged per socket (N watchers do not cost N^2 frames)', async () => {
    const count = async (presenceWindowMs: number): Promise<number> => {
      // Measures fan-out merging alone: the inbound rate limit (tested in runtime-sync-identity)
      // would drop part of this deliberate burst before it is merged.
      server = await startSyncServer({ presenceWindowMs, awarenessPerSecond: 1000 });
      const watchers = Array.from({ length: 20 }, () => client(SHARED, 'tok-viewer'));
      await Promise.all(watchers.map(synced));
      const observer = watchers[0]!;
      // Let a first round of presence settle, then count what one everyone-moves burst costs.
      watchers.forEach((w) => w.provider.setAwarenessField('here', true));
      await waitFor(() => observer.provider.awareness!.getStates().size === 20, 'initial presence');
      await new Promise((resolve) => setTimeout(resolve, presenceWindowMs + 50));
      let frames = 0;
      observer.provider.on('message', ({ message }: { message: { readVarString(): string; readVarUint(): number } }) => {
        message.readVarString();
        if (message.readVarUint() === 1) frames++;
      });
      watchers.forEach((w, i) => w.provider.setAwarenessField('looking', `task ${i}`));
      await waitFor(
        () => [...observer.provider.awareness!.getStates().values()].filter((s) => typeof s['looking'] === 'string').length === 20,
        'everyone seen moving',
      );
      for (const c of clients.splice(0)) c.destroy();
      await server.close();
      server = null;
      return frames;
    };
    const unmerged = await count(0);
    const merged = await count(50);
    expect(unmerged).toBeGreaterThanOrEqual(19);
    expect(merged).toBeLessThanOrEqual(unmerged / 2);
  });

  it('presence: awareness states reach the other watchers', async () => {
    server = await startSyncServer();
    const a = client(SHARED, 'tok-admin');
    const b = client(SHARED, 'tok-viewer');
    await Promise.all([synced(a), synced(b)]);
    a.provider.setAwarenessField('user', { name: 'Ada', looking: 'task t1' });
    b.provider.setAwarenessField('user', { name: 'Vic', looking: 'timeline' });
    const names = (c: TestClient) =>
      [...c.provider.awareness!.getStates().values()].map((s) => (s['user'] as { name?: string } | undefined)?.name).sort();
    await waitFor(() => names(a).join() === 'Ada,Vic' && names(b).join() === 'Ada,Vic', 'both see both');
    b.destroy();
    clients.splice(clients.indexOf(b), 1);
    await waitFor(() => names(a).join() === 'Ada', 'departure seen');
  });
});
