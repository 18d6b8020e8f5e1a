// Cluster mode, live documents across nodes: Hocuspocus's Redis extension joins each document
// across the nodes that have it open and the documents are stored in Redis. 50 providers spread
// over three nodes edit one session and converge; presence (stamped from the token by the node
// the client is on) shows on every node; the state document the owner projects is seen from the
// other nodes; a client whose node is killed reconnects to another node and catches up, and
// nothing its dead node acknowledged is lost. Real redis-server, real `thalogos serve` processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { stateToJson } from '../sync/state-document.js';
import { presenceColor } from '../sync/presence-stamp.js';
import { CLUSTER_ADMIN, TestCluster } from './helpers/cluster-nodes.js';
import { acknowledged, connect, synced, waitFor, type TestClient } from './sync-harness.js';

const NODES = ['a', 'b', 'c'];
let cluster: TestCluster;
let sessionId = '';
const clients: TestClient[] = [];

beforeAll(async () => {
  cluster = await TestCluster.create({ leaseMs: 10_000 });
  for (const id of NODES) await cluster.start(id);
  const created = await cluster.api('a')('POST', '/api/sessions', { title: 'live everywhere', repoPath: cluster.newRepo('live') });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  sessionId = created.body.id;
}, 240_000);

afterAll(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await cluster?.dispose();
}, 60_000);

function open(node: string, kind: 'shared' | 'state', token = CLUSTER_ADMIN, document?: Y.Doc): TestClient {
  const client = connect(`${cluster.url(node).replace('http', 'ws')}/sync`, `session/${sessionId}/${kind}`, token, document ? { document } : {});
  clients.push(client);
  return client;
}

describe('cluster: sync across nodes', () => {
  it('every node serves the state document the owner projects', async () => {
    for (const node of NODES) {
      const watcher = open(node, 'state');
      await synced(watcher);
      await waitFor(() => (stateToJson(watcher.doc).session as { title?: string } | undefined)?.title === 'live everywhere', `the state document on ${node}`, 20_000);
    }
  }, 60_000);

  it('50 providers spread over three nodes edit at once and converge', async () => {
    const all = Array.from({ length: 50 }, (_, i) => open(NODES[i % 3]!, 'shared'));
    await Promise.all(all.map((client) => waitFor(() => client.provider.isSynced, 'provider synced', 60_000)));
    all.forEach((client, i) => {
      client.doc.transact(() => {
        client.doc.getText('memory').insert(0, `[${i}]`);
        client.doc.getArray('chat').push([{ id: `m${i}`, userId: 'u', name: 'n', text: `hello ${i}`, at: '2026-01-01T00:00:00Z' }]);
      });
    });
    await Promise.all(all.map((client) => waitFor(() => client.provider.isSynced && !client.provider.hasUnsyncedChanges, 'changes acknowledged', 60_000)));
    await waitFor(() => all.every((client) => client.doc.getArray('chat').length === 50), 'all 50 messages on every client', 60_000);
    const expected = all[0]!.doc.getText('memory').toString();
    await waitFor(() => all.every((client) => client.doc.getText('memory').toString() === expected), 'identical memory everywhere', 30_000);
    for (let i = 0; i < 50; i++) expect(expected).toContain(`[${i}]`);
    // A fresh client on any node loads the same document from Redis.
    for (const node of NODES) {
      const late = open(node, 'shared');
      await synced(late);
      await waitFor(() => late.doc.getText('memory').toString() === expected, `the stored document on ${node}`, 20_000);
    }
    for (const client of all) client.destroy();
  }, 180_000);

  it('presence set on one node shows, stamped with the token, on the others', async () => {
    const minted = await cluster.api('b')('POST', '/api/tokens', { name: 'rae', role: 'reviewer', sessions: [] });
    expect(minted.status).toBe(201);
    // A retryable 503 is a valid answer in cluster mode (a lease renewal starved on a loaded machine).
    let added = await cluster.api('a')('PUT', `/api/sessions/${sessionId}/members/${minted.body.id}`, { role: 'reviewer' });
    for (let attempt = 0; added.status === 503 && attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      added = await cluster.api('a')('PUT', `/api/sessions/${sessionId}/members/${minted.body.id}`, { role: 'reviewer' });
    }
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const rae = open('b', 'shared', minted.body.token);
    const watchers = [open('a', 'shared'), open('c', 'shared')];
    await Promise.all([rae, ...watchers].map(synced));
    rae.provider.awareness?.setLocalStateField('user', { name: 'admin', role: 'admin' });
    for (const watcher of watchers) {
      await waitFor(() => (watcher.provider.awareness?.getStates().get(rae.doc.clientID) as { user?: { id?: string } } | undefined)?.user?.id === minted.body.id, 'rae\'s presence on another node', 20_000);
      expect((watcher.provider.awareness?.getStates().get(rae.doc.clientID) as { user: unknown }).user).toEqual({ id: minted.body.id, name: 'rae', role: 'reviewer', color: presenceColor(minted.body.id) });
    }
    // Revoked on node A: its socket on node B is closed too.
    let closed = false;
    rae.provider.on('close', () => (closed = true));
    expect((await cluster.api('a')('POST', `/api/tokens/${minted.body.id}/revoke`, {})).status).toBe(200);
    await waitFor(() => closed, 'the revoked token\'s socket on another node to close', 10_000);
  }, 60_000);

  it('a client whose node is killed reconnects to another node and catches up; nothing acknowledged is lost', async () => {
    const document = new Y.Doc();
    const mover = open('c', 'shared', CLUSTER_ADMIN, document);
    const other = open('a', 'shared');
    await Promise.all([synced(mover), synced(other)]);
    mover.doc.getText('memory').insert(0, 'acked-on-c;');
    await acknowledged(mover);
    await cluster.kill9('c');
    mover.provider.destroy();
    // While it is away: one edit elsewhere, one offline on the moving client.
    other.doc.getText('memory').insert(0, 'while-away;');
    await acknowledged(other);
    document.getText('memory').insert(0, 'offline;');
    const back = open('b', 'shared', CLUSTER_ADMIN, document);
    await acknowledged(back);
    const check = (doc: Y.Doc) => ['acked-on-c;', 'while-away;', 'offline;'].every((part) => doc.getText('memory').toString().includes(part));
    await waitFor(() => check(back.doc) && check(other.doc), 'both clients to hold all three edits', 20_000);
    expect(back.doc.getText('memory').toString()).toBe(other.doc.getText('memory').toString());
  }, 60_000);
});
