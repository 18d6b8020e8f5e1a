import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { presenceColor } from '../sync/presence-stamp.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { acknowledged, connect, synced, WebSocketPolyfill, type TestClient } from './sync-harness.js';

const ADMIN = 'identity-admin-token-0123456789abcdef';

type Presence = { user?: { id?: string; name?: string; role?: string; color?: string }; blob?: string; marker?: number; n?: number };

/** /sync on the real runtime: who may connect, and identities the server vouches for. */
describe('live documents carry identities from the token, not from the client', () => {
  let tmp: string;
  let server: RunningServer;
  let api: ReturnType<typeof apiClient>;
  let repo: string;
  let owner: { id: string; token: string };
  const clients: TestClient[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-identity-'));
    repo = makeRepo(path.join(tmp, 'repo'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0' }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
    api = apiClient(server.url, ADMIN);
    owner = await mint('olga', 'operator');
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  async function mint(name: string, role: string, sessions?: Array<{ id: string; role: string }>): Promise<{ id: string; token: string }> {
    const created = await api('POST', '/api/tokens', { name, role, ...(sessions ? { sessions } : {}) });
    expect(created.status).toBe(201);
    return { id: created.body.id, token: created.body.token };
  }
  /** A session owned by olga; returns its id. */
  async function session(title: string): Promise<string> {
    const created = await apiClient(server.url, owner.token)('POST', '/api/sessions', { repoPath: repo, title });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }
  function open(sid: string, token: string, kind: 'shared' | 'state' = 'shared'): TestClient & { closeCodes: number[] } {
    const client = connect(`${server.url.replace('http', 'ws')}/sync`, `session/${sid}/${kind}`, token);
    const closeCodes: number[] = [];
    client.provider.on('close', ({ event }: { event: { code: number } }) => closeCodes.push(event.code));
    clients.push(client);
    return Object.assign(client, { closeCodes });
  }
  const presenceOf = (watcher: TestClient, clientId: number) => watcher.provider.awareness?.getStates().get(clientId) as Presence | undefined;
  const serverDoc = (sid: string) => server.context.sync.hocuspocus.documents.get(`session/${sid}/shared`);

  it('refuses a non-member socket exactly like an unknown session (4403)', async () => {
    const sid = await session('members only');
    const outsider = await mint('otto', 'operator');
    const client = open(sid, outsider.token);
    await waitFor(async () => client.denied.length > 0 && client.closeCodes.length > 0, { what: 'the refusal' });
    expect(client.denied[0]).toBe('forbidden: SYNC_UNKNOWN_SESSION');
    expect(client.closeCodes[0]).toBe(4403);
    client.doc.getText('memory').insert(0, 'should not land');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await server.context.sync.readSharedMemory(sid)).toBe('');
  });

  it('replaces a forged presence name, role and colour with the token’s', async () => {
    const sid = await session('presence');
    const rae = await mint('rae', 'reviewer', [{ id: sid, role: 'reviewer' }]);
    const vic = await mint('vic', 'operator', [{ id: sid, role: 'viewer' }]);
    const watcher = open(sid, owner.token);
    const forger = open(sid, rae.token);
    const viewer = open(sid, vic.token);
    await Promise.all([synced(watcher), synced(forger), synced(viewer)]);
    forger.provider.awareness?.setLocalStateField('user', { name: 'admin', role: 'admin', color: '#000000' });
    viewer.provider.awareness?.setLocalStateField('user', { name: 'admin', role: 'admin' });
    const forgerId = forger.doc.clientID;
    await waitFor(async () => presenceOf(watcher, forgerId)?.user?.id === rae.id && presenceOf(watcher, viewer.doc.clientID)?.user?.id === vic.id, {
      what: 'the stamped presence at the watcher',
    });
    expect(presenceOf(watcher, forgerId)?.user).toEqual({ id: rae.id, name: 'rae', role: 'reviewer', color: presenceColor(rae.id) });
    // The role shown is the role on this session (an operator token that is a viewer member here).
    expect(presenceOf(watcher, viewer.doc.clientID)?.user).toEqual({ id: vic.id, name: 'vic', role: 'viewer', color: presenceColor(vic.id) });
  });

  it('replaces a forged author on a comment and a chat message', async () => {
    const sid = await session('comments');
    const rae = await mint('rae2', 'reviewer', [{ id: sid, role: 'reviewer' }]);
    const watcher = open(sid, owner.token);
    const forger = open(sid, rae.token);
    await Promise.all([synced(watcher), synced(forger)]);
    forger.doc.transact(() => {
      const thread = new Y.Array<Record<string, unknown>>();
      forger.doc.getMap<Y.Array<Record<string, unknown>>>('comments').set('t1:a.txt:1', thread);
      thread.push([{ id: 'n1', userId: 'admin-token-id', name: 'admin', text: 'Approved by admin', at: new Date().toISOString() }]);
    });
    forger.doc.getArray('chat').push([{ id: 'c1', userId: 'admin-token-id', name: 'admin', text: 'ship it', at: new Date().toISOString() }]);
    await acknowledged(forger);
    await waitFor(async () => watcher.doc.getArray('chat').length === 1, { what: 'the chat message at the watcher' });
    const comments = watcher.doc.getMap('comments').toJSON() as Record<string, Array<{ userId: string; name: string; text: string }>>;
    expect(comments['t1:a.txt:1']).toEqual([expect.objectContaining({ userId: rae.id, name: 'rae2', text: 'Approved by admin' })]);
    expect(watcher.doc.getArray('chat').toJSON()).toEqual([expect.objectContaining({ userId: rae.id, name: 'rae2', text: 'ship it' })]);
    // What is stored (and served to the next person) is the stamped version too.
    expect(serverDoc(sid)?.getArray('chat').toJSON()).toEqual([expect.objectContaining({ userId: rae.id, name: 'rae2' })]);
  });

  it('stamps presence sent in the same breath as the auth message (frames Hocuspocus queues during authentication)', async () => {
    const sid = await session('pipelined');
    const rae = await mint('rae4', 'reviewer', [{ id: sid, role: 'reviewer' }]);
    const name = `session/${sid}/shared`;
    const frame = (type: number, write: (encoder: encoding.Encoder) => void) => {
      const encoder = encoding.createEncoder();
      encoding.writeVarString(encoder, name);
      encoding.writeVarUint(encoder, type);
      write(encoder);
      return encoding.toUint8Array(encoder);
    };
    const presence = encoding.createEncoder();
    encoding.writeVarUint(presence, 1);
    encoding.writeVarUint(presence, 424242);
    encoding.writeVarUint(presence, 1);
    encoding.writeVarString(presence, JSON.stringify({ user: { name: 'admin', role: 'admin' } }));
    const socket = new (WebSocketPolyfill as typeof WebSocket)(`${server.url.replace('http', 'ws')}/sync`);
    socket.binaryType = 'arraybuffer';
    await new Promise((resolve) => socket.addEventListener('open', resolve));
    // Auth (type 2, token sub-type 0), sync step 1 and a forged presence, without waiting in between.
    socket.send(frame(2, (e) => { encoding.writeVarUint(e, 0); encoding.writeVarString(e, rae.token); }));
    socket.send(frame(1, (e) => encoding.writeVarUint8Array(e, encoding.toUint8Array(presence))));
    await waitFor(async () => serverDoc(sid)?.awareness.getStates().get(424242) !== undefined, { what: 'the pipelined presence applied' });
    expect((serverDoc(sid)?.awareness.getStates().get(424242) as Presence).user).toEqual({ id: rae.id, name: 'rae4', role: 'reviewer', color: presenceColor(rae.id) });
    socket.close();
  });

  it('drops an oversized awareness frame: neither applied nor relayed', async () => {
    const sid = await session('big presence');
    const vic = await mint('vic2', 'viewer', [{ id: sid, role: 'viewer' }]);
    const watcher = open(sid, owner.token);
    const flooder = open(sid, vic.token);
    await Promise.all([synced(watcher), synced(flooder)]);
    const seenAtServer: Presence[] = [];
    const seenAtWatcher: Presence[] = [];
    const doc = serverDoc(sid);
    doc?.awareness.on('update', () => {
      const state = doc.awareness.getStates().get(flooder.doc.clientID) as Presence | undefined;
      if (state) seenAtServer.push(state);
    });
    watcher.provider.awareness?.on('change', () => {
      const state = presenceOf(watcher, flooder.doc.clientID);
      if (state) seenAtWatcher.push(state);
    });
    flooder.provider.awareness?.setLocalState({ blob: 'x'.repeat(2 * 1024 * 1024), marker: 1 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    flooder.provider.awareness?.setLocalState({ marker: 2 });
    await waitFor(async () => presenceOf(watcher, flooder.doc.clientID)?.marker === 2, { what: 'the small frame after the big one' });
    expect(seenAtServer.some((state) => state.blob !== undefined)).toBe(false);
    expect(seenAtWatcher.some((state) => state.blob !== undefined)).toBe(false);
  });

  it('rate-limits awareness frames per socket', async () => {
    const sid = await session('presence storm');
    const vic = await mint('vic3', 'viewer', [{ id: sid, role: 'viewer' }]);
    const flooder = open(sid, vic.token);
    await synced(flooder);
    const doc = serverDoc(sid);
    let applied = 0;
    doc?.awareness.on('update', ({ added, updated }: { added: number[]; updated: number[] }) => {
      if ([...added, ...updated].includes(flooder.doc.clientID)) applied += 1;
    });
    for (let n = 0; n < 200; n++) flooder.provider.awareness?.setLocalStateField('n', n);
    await waitFor(async () => applied > 0, { what: 'some awareness frames applied' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Burst 20 plus what refills in the time it took (10/s): far below the 200 sent.
    expect(applied).toBeLessThanOrEqual(30);
  });

  it('cuts a removed member off, and a member demoted to viewer can no longer write', async () => {
    const sid = await session('membership changes');
    const rae = await mint('rae3', 'reviewer', [{ id: sid, role: 'reviewer' }]);
    const kim = await mint('kim', 'reviewer', [{ id: sid, role: 'reviewer' }]);
    const olga = apiClient(server.url, owner.token);
    const leaving = open(sid, rae.token);
    const demoted = open(sid, kim.token);
    await Promise.all([synced(leaving), synced(demoted)]);

    expect((await olga('DELETE', `/api/sessions/${sid}/members/${rae.id}`)).status).toBe(200);
    await waitFor(async () => leaving.closeCodes.includes(4401) && leaving.denied.includes('forbidden: SYNC_UNKNOWN_SESSION'), { what: 'the removed member cut off', timeoutMs: 20_000 });

    expect((await olga('PUT', `/api/sessions/${sid}/members/${kim.id}`, { role: 'viewer' })).status).toBe(200);
    await waitFor(async () => demoted.closeCodes.includes(4401), { what: 'the demoted member reconnected' });
    await waitFor(async () => demoted.provider.isSynced && demoted.provider.isAuthenticated, { what: 'the demoted member back, read-only', timeoutMs: 20_000 });
    demoted.doc.getText('memory').insert(0, 'written as a viewer');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await server.context.sync.readSharedMemory(sid)).not.toContain('written as a viewer');
  });
});
