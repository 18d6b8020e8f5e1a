import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../runtime/clock.js';
import { loadConfig } from '../runtime/config/config.js';
import { startServer } from '../runtime/server.js';
import { EventLog } from '../runtime/log/event-log.js';
import { Outbox } from '../runtime/webhooks/outbox.js';
import { eventsOf } from '../runtime/webhooks/webhook-events.js';
import { verify } from '../runtime/webhooks/signature.js';
import { WebhookStore } from '../runtime/webhooks/webhook-store.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const ADMIN = 'webhook-crash-admin-token-0123456789abcdef';

describe('webhook deliveries survive kill -9', () => {
  let tmp: string;
  let server: ServerProcess | null = null;
  let receiver: WebhookReceiver | null = null;

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-webhook-crash-'));
  });
  afterEach(async () => {
    await server?.kill9();
    server = null;
    await receiver?.close();
    receiver = null;
    await rm(tmp, { recursive: true, force: true });
  });

  it('delivers after a restart what a killed server owed (same idempotency key, signed)', async () => {
    makeRepo(path.join(tmp, 'repo'));
    const configFile = path.join(tmp, 'config.json');
    // A long timeout: the first attempt is still waiting on the receiver when the server dies.
    await writeFile(configFile, JSON.stringify({
      adapters: { order: ['command'], adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } } },
      sessions: { maxParallel: 2, taskTimeoutMs: 60_000, maxRetries: 0 },
      webhooks: { timeoutMs: 60_000, maxAttempts: 5, backoffBaseMs: 50, backoffMaxMs: 200 },
    }));
    const env = { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_CONFIG: configFile, WEBHOOK_SIGNING_SECRET: 'crash-signing-secret-0123' };
    const port = await freePort();
    let healthy = false;
    receiver = await WebhookReceiver.start(() => (healthy ? 200 : 'hang'));
    server = await startServerProcess(env, port);
    const api = apiClient(server.url, ADMIN);
    const hook = (await api('POST', '/api/webhooks', { url: receiver.url, events: ['task.failed'], secretRef: { env: 'WEBHOOK_SIGNING_SECRET' } })).body.id as string;
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title: 'crash' })).body.id as string;
    await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'exit 1' });
    await waitFor(async () => receiver!.received.length === 1, { what: 'the first attempt to reach the receiver' });
    await server.kill9();
    server = null;
    healthy = true;

    server = await startServerProcess(env, port);
    await waitFor(async () => receiver!.accepted().length === 1, { what: 'the delivery after the restart' });
    const [first, second] = receiver.received;
    expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
    expect(JSON.parse(second!.body)).toMatchObject({ type: 'task.failed', event: { sessionId: sid } });
    expect(verify('crash-signing-secret-0123', Number(second!.headers['x-thalogos-timestamp']), second!.body, String(second!.headers['x-thalogos-signature']), Math.floor(Date.now() / 1000))).toBe(true);
    const rows = (await apiClient(server.url, ADMIN)('GET', `/api/webhooks/${hook}/deliveries`)).body.deliveries;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'delivered', id: first!.headers['idempotency-key'] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.accepted()).toHaveLength(1);
  });

  it('writes the deliveries of entries logged before a crash that no delivery row was written for', async () => {
    // The process died after the log append and before onApplied: only the log has the event.
    const db = new Level<string, unknown>(path.join(tmp, 'db'), { valueEncoding: 'json' });
    await db.open();
    try {
      const log = await EventLog.open(db);
      const store = await WebhookStore.open(db);
      receiver = await WebhookReceiver.start(() => 200);
      const row = { id: 'wh_test', url: receiver.url, events: ['save.published' as const], format: 'json' as const, secretRef: null, routingKeyRef: null, createdAt: new Date().toISOString(), createdBy: 'test', deletedAt: null };
      await store.write([store.writeFor(row)]);
      store.remember(row);
      const result = { status: 'published', commit: 'c0ffee', tag: 'checkpoint/1', integrationCommit: 'c0ffee', mergedTaskIds: ['t1'], autoResolved: [], gates: [] };
      const saved = await log.appendOne({ kind: 'actor', actor: { kind: 'system', id: 'runtime' }, sessionId: 's1', taskId: null, type: 'SAVE.COMPLETED', data: { type: 'SAVE.COMPLETED', saveId: 'save1', result, at: new Date().toISOString() } });

      // The restart: a fresh outbox over the same LevelDB reads the log after its cursor.
      const settings = { timeoutMs: 2000, maxAttempts: 3, backoffBaseMs: 20, backoffMaxMs: 40 };
      const outbox = new Outbox({ store, log, clock: systemClock, env: {}, logger: pino({ level: 'silent' }), settings });
      await outbox.catchUp((entry) => eventsOf(entry, { title: 'restored', view: () => null }), []);
      await waitFor(async () => receiver!.accepted().length === 1, { what: 'the caught-up delivery' });
      expect(JSON.parse(receiver.accepted()[0]!.body)).toMatchObject({ type: 'save.published', event: { seq: saved.seq, data: { tag: 'checkpoint/1' } } });
      expect(await store.cursor()).toBe(saved.seq);
      // Reading the log again from the start (a cursor that lagged) writes and sends nothing twice.
      await store.write([store.cursorWrite(0)]);
      await outbox.catchUp((entry) => eventsOf(entry, { title: 'restored', view: () => null }), []);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(receiver.received).toHaveLength(1);
      await outbox.close();
    } finally {
      await db.close();
    }
  });

  it('alerts session.damaged once for a session its log quarantines at start', async () => {
    receiver = await WebhookReceiver.start(() => 200);
    const config = loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_LOG_LEVEL: 'silent' }, cwd: tmp });
    const options = { env: { ...process.env, THALOGOS_ADMIN_TOKEN: ADMIN } };
    let running = await startServer(config, options);
    const api = apiClient(running.url, ADMIN);
    const hook = (await api('POST', '/api/webhooks', { url: receiver.url, events: ['session.damaged'] })).body.id as string;
    const sid = (await api('POST', '/api/sessions', { repoPath: makeRepo(path.join(tmp, 'broken')), title: 'Broken' })).body.id as string;
    // An entry this version cannot apply (as after a bad upgrade or a hand edit): the next start quarantines the session.
    const bad = await running.context.log.appendOne({ kind: 'actor', actor: { kind: 'system', id: 'test' }, sessionId: sid, type: 'TASK.ADD', data: { taskId: 'tbroken' } });
    await running.close();
    running = await startServer(config, options);
    try {
      await waitFor(async () => receiver!.accepted().length === 1, { what: 'the session.damaged alert' });
      expect(JSON.parse(receiver.accepted()[0]!.body)).toMatchObject({ type: 'session.damaged', event: { sessionId: sid, seq: bad.seq, severity: 'critical', data: { damage: { seq: bad.seq, type: 'TASK.ADD' } } } });
    } finally {
      await running.close();
    }
    // Another start meets the same damage: the delivery exists, nothing is sent twice.
    running = await startServer(config, options);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received).toHaveLength(1);
      expect((await apiClient(running.url, ADMIN)('GET', `/api/webhooks/${hook}/deliveries`)).body.deliveries).toHaveLength(1);
    } finally {
      await running.close();
    }
  });
});
