import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';
import { verify } from '../runtime/webhooks/signature.js';
import { apiClient, waitFor } from './helpers/api.js';
import { makeRepo } from './helpers/git-repo.js';
import { WebhookReceiver } from './helpers/webhook-receiver.js';

const ADMIN = 'webhooks-admin-token-0123456789abcdef';
const SIGNING = 'whsec-planted-signing-secret-5a4b3c2d1e0f';
const ROUTING = 'pdkey-planted-routing-key-0f1e2d3c4b5a';
const TIMEOUT_MS = 400;

/** Config shared with the crash test: only the `command` agent, no retries, fast backoff. */
export const WEBHOOK_TEST_CONFIG = {
  adapters: { order: ['command'], adapters: { codex: { enabled: false }, claude: { enabled: false }, gemini: { enabled: false } } },
  sessions: { maxParallel: 4, taskTimeoutMs: 60_000, maxRetries: 0 },
  webhooks: { timeoutMs: TIMEOUT_MS, maxAttempts: 5, backoffBaseMs: 40, backoffMaxMs: 160 },
};

const PagerDutyEventSchema = z.strictObject({
  routing_key: z.string().min(1),
  event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
  dedup_key: z.string().min(1).max(255),
  payload: z.looseObject({
    summary: z.string().min(1).max(1024),
    source: z.string().min(1),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
  }),
});
const SlackMessageSchema = z.strictObject({ text: z.string().min(1), blocks: z.array(z.looseObject({ type: z.string() })).optional() });

describe('webhooks against real receivers on 127.0.0.1', () => {
  let tmp: string;
  let server: RunningServer;
  let logs = '';
  let api: ReturnType<typeof apiClient>;
  const receivers: WebhookReceiver[] = [];
  const routingFile = () => path.join(tmp, 'pd-routing-key');

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-webhooks-'));
    makeRepo(path.join(tmp, 'repo'));
    // Its gate passes only once a task has written fixed.txt: a Save fails its gates, a later one publishes.
    makeRepo(path.join(tmp, 'gated'), { '.thalogos.json': '{"gates":["test -f fixed.txt"]}\n' });
    const configFile = path.join(tmp, 'config.json');
    await writeFile(configFile, JSON.stringify(WEBHOOK_TEST_CONFIG));
    await writeFile(routingFile(), `${ROUTING}\n`, { mode: 0o600 });
    const sink = new Writable({ write(chunk, _encoding, done) { logs += String(chunk); done(); } });
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: configFile }, cwd: tmp }),
      { env: { ...process.env, THALOGOS_ADMIN_TOKEN: ADMIN, WEBHOOK_SIGNING_SECRET: SIGNING }, logger: pino({ level: 'trace' }, sink) },
    );
    api = apiClient(server.url, ADMIN);
  });
  afterEach(async () => {
    // Each test's subscriptions end with it: a later test's events must not reach them.
    for (const hook of (await api('GET', '/api/webhooks')).body.webhooks as Array<{ id: string }>) await api('DELETE', `/api/webhooks/${hook.id}`);
  });
  afterAll(async () => {
    await server?.close();
    for (const receiver of receivers) await receiver.close();
    await rm(tmp, { recursive: true, force: true });
  });

  async function receiver(answer: (n: number) => number | 'hang'): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start(answer);
    receivers.push(started);
    return started;
  }

  async function subscribe(body: Record<string, unknown>): Promise<string> {
    const response = await api('POST', '/api/webhooks', body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.id as string;
  }

  /** A session whose one task fails on every agent (AGENTS_EXHAUSTED). */
  async function failingTask(title: string): Promise<{ sid: string; taskId: string }> {
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'repo'), title })).body.id as string;
    const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: 'exit 3' })).body;
    await waitFor(async () => (await api('GET', `/api/sessions/${sid}/tasks/${task.id}`)).body.status === 'failed', { what: 'the task to fail' });
    return { sid, taskId: task.id };
  }

  async function deliveries(hook: string) {
    return (await api('GET', `/api/webhooks/${hook}/deliveries`)).body.deliveries as Array<{ id: string; status: string; attempts: number; attemptLog: Array<{ outcome: string; httpStatus: number | null; durationMs: number; error: string | null }> }>;
  }

  it('retries a receiver that fails three times: delivered once after it recovers, every attempt signed', async () => {
    const flaky = await receiver((n) => (n < 3 ? 500 : 200));
    const hook = await subscribe({ url: flaky.url, events: ['task.failed'], secretRef: { env: 'WEBHOOK_SIGNING_SECRET' } });
    const { sid, taskId } = await failingTask('flaky receiver');
    const [row] = await waitFor(async () => {
      const list = await deliveries(hook);
      return list[0]?.status === 'delivered' ? list : null;
    }, { what: 'the delivery' });
    expect(row!.attempts).toBe(4);
    expect(row!.attemptLog.map((attempt) => [attempt.outcome, attempt.httpStatus])).toEqual([['http_error', 500], ['http_error', 500], ['http_error', 500], ['delivered', 200]]);
    // Delivered once: one 2xx, and nothing more arrives after it.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(flaky.received).toHaveLength(4);
    expect(flaky.accepted()).toHaveLength(1);
    const body = JSON.parse(flaky.accepted()[0]!.body);
    expect(body).toMatchObject({ id: row!.id, type: 'task.failed', event: { sessionId: sid, taskId, data: { code: 'AGENTS_EXHAUSTED' } } });
    // Every attempt is signed over its own timestamp and carries the one idempotency key.
    for (const request of flaky.received) {
      const timestamp = Number(request.headers['x-thalogos-timestamp']);
      const signature = String(request.headers['x-thalogos-signature']);
      expect(verify(SIGNING, timestamp, request.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
      expect(verify('another-secret', timestamp, request.body, signature, Math.floor(Date.now() / 1000))).toBe(false);
      expect(request.headers['idempotency-key']).toBe(row!.id);
      expect(request.headers['x-thalogos-delivery']).toBe(row!.id);
    }
  });

  it('gives up on a receiver that hangs after the timeout and retries', async () => {
    const slow = await receiver((n) => (n === 0 ? 'hang' : 204));
    const hook = await subscribe({ url: slow.url, events: ['agents.exhausted'] });
    await failingTask('hanging receiver');
    const [row] = await waitFor(async () => {
      const list = await deliveries(hook);
      return list[0]?.status === 'delivered' ? list : null;
    }, { what: 'the delivery after a timeout' });
    expect(row!.attemptLog.map((attempt) => attempt.outcome)).toEqual(['timeout', 'delivered']);
    expect(row!.attemptLog[0]!.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(row!.attemptLog[0]!.error).toContain(`${TIMEOUT_MS} ms`);
    expect(slow.received.map((request) => request.headers['x-thalogos-delivery'])).toEqual([row!.id, row!.id]);
    expect(JSON.parse(slow.received[1]!.body).type).toBe('agents.exhausted');
    // Unsigned subscription: no signature headers at all.
    expect(slow.received[1]!.headers['x-thalogos-signature']).toBeUndefined();
  });

  it('turns a delivery into a dead letter after maxAttempts, and an admin redelivers it', async () => {
    let up = false;
    const down = await receiver(() => (up ? 200 : 503));
    const hook = await subscribe({ url: down.url, events: ['task.failed'] });
    await failingTask('dead letter');
    const [dead] = await waitFor(async () => {
      const list = await deliveries(hook);
      return list[0]?.status === 'dead' ? list : null;
    }, { what: 'a dead letter' });
    expect(dead!.attempts).toBe(5);
    expect(down.received).toHaveLength(5);
    const early = await api('POST', `/api/webhooks/${hook}/deliveries/nope/redeliver`, {});
    expect(early.body.error.code).toBe('DELIVERY_NOT_FOUND');
    up = true;
    const redelivered = await api('POST', `/api/webhooks/${hook}/deliveries/${dead!.id}/redeliver`, {});
    expect(redelivered.status).toBe(202);
    const [row] = await waitFor(async () => {
      const list = await deliveries(hook);
      return list[0]?.status === 'delivered' ? list : null;
    }, { what: 'the redelivery' });
    expect(row!.attempts).toBe(6);
    expect(down.accepted()).toHaveLength(1);
  });

  it('stops retrying once the subscription is deleted', async () => {
    const failing = await receiver(() => 500);
    const hook = await subscribe({ url: failing.url, events: ['task.failed'] });
    await failingTask('deleted hook');
    await waitFor(async () => failing.received.length >= 1, { what: 'a first attempt' });
    expect((await api('DELETE', `/api/webhooks/${hook}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200)); // an attempt already on the wire may land
    const settled = failing.received.length;
    await new Promise((resolve) => setTimeout(resolve, 600)); // several backoff steps (at most 160 ms)
    expect(failing.received.length).toBe(settled);
    expect(settled).toBeLessThan(5);
    expect((await api('DELETE', `/api/webhooks/${hook}`)).body.error.code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('sends Slack messages, and a PagerDuty trigger on failed gates resolved by the next published Save (one dedup key per session)', async () => {
    const slack = await receiver(() => 200);
    const pagerduty = await receiver(() => 202);
    // A routing-key file others can read is refused, with the reference named and nothing written.
    const loose = path.join(tmp, 'loose-key');
    await writeFile(loose, ROUTING);
    await chmod(loose, 0o644);
    const refused = await api('POST', '/api/webhooks', { url: pagerduty.url, events: ['task.failed'], format: 'pagerduty', routingKeyRef: { file: loose } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('WEBHOOK_SECRET_UNAVAILABLE');
    expect(refused.body.error.message).toContain('644');
    expect((await api('POST', '/api/webhooks', { url: pagerduty.url, events: ['task.failed'], format: 'pagerduty' })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await api('GET', '/api/webhooks')).body.webhooks).toHaveLength(0);

    await subscribe({ url: slack.url, events: ['save.gates_failed', 'save.published'], format: 'slack' });
    await subscribe({ url: pagerduty.url, events: ['save.gates_failed', 'save.published'], format: 'pagerduty', routingKeyRef: { file: routingFile() } });
    const sid = (await api('POST', '/api/sessions', { repoPath: path.join(tmp, 'gated'), title: 'alerts' })).body.id as string;
    const ready = async (prompt: string) => {
      const task = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt })).body;
      await waitFor(async () => (await api('GET', `/api/sessions/${sid}/tasks/${task.id}`)).body.status === 'ready_for_review', { what: 'a task ready for review' });
    };
    const saved = async (status: string) => {
      expect((await api('POST', `/api/sessions/${sid}/save`, {})).status).toBe(202);
      await waitFor(async () => (await api('GET', `/api/sessions/${sid}`)).body.lastSave?.result?.status === status, { what: `a Save ${status}` });
    };
    await ready('echo one > one.txt');
    await saved('gates_failed');
    await ready('echo fixed > fixed.txt');
    await saved('published');
    await waitFor(async () => pagerduty.received.length === 2 && slack.received.length === 2, { what: 'both alerts on both receivers' });

    const messages = slack.received.map((request) => SlackMessageSchema.parse(JSON.parse(request.body)));
    expect(messages[0]!.text).toContain('gates failed (test -f fixed.txt)');
    expect(messages[1]!.text).toContain('published');
    const events = pagerduty.received.map((request) => PagerDutyEventSchema.parse(JSON.parse(request.body)));
    expect(events.map((event) => event.event_action)).toEqual(['trigger', 'resolve']);
    expect(events[0]!.routing_key).toBe(ROUTING);
    expect(events[0]!.payload.severity).toBe('error');
    expect(new Set(events.map((event) => event.dedup_key)).size).toBe(1);
    expect(events[0]!.dedup_key).toContain(sid);
  });

  it('keeps the signing secret and the routing key out of the log, the data dir, the logs and every reply', async () => {
    // A secretCommand that fails is refused without echoing what it printed.
    const failing = await api('POST', '/api/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['task.failed'], secretRef: { secretCommand: ['sh', '-c', 'echo whsec-from-stderr >&2; exit 4'] } });
    expect(failing.body.error.code).toBe('WEBHOOK_SECRET_UNAVAILABLE');
    expect(JSON.stringify(failing.body)).not.toContain('whsec-from-stderr');
    const sink = await receiver((n) => (n === 0 ? 500 : 200));
    const signingFile = path.join(tmp, 'signing-secret');
    await writeFile(signingFile, SIGNING, { mode: 0o600 });
    const hook = await subscribe({ url: sink.url, events: ['task.failed'], format: 'pagerduty', secretRef: { secretCommand: ['cat', signingFile] }, routingKeyRef: { file: routingFile() } });
    await failingTask('secrets');
    await waitFor(async () => (await deliveries(hook))[0]?.status === 'delivered', { what: 'the delivery' });
    // The receiver is the one place the routing key is meant to go.
    const delivered = sink.accepted()[0]!;
    expect(delivered.body).toContain(ROUTING);
    expect(verify(SIGNING, Number(delivered.headers['x-thalogos-timestamp']), delivered.body, String(delivered.headers['x-thalogos-signature']), Math.floor(Date.now() / 1000))).toBe(true);
    const replies = JSON.stringify([
      (await api('GET', '/api/webhooks')).body,
      await deliveries(hook),
      (await api('GET', '/api/audit/verify')).body,
    ]);
    const entries = JSON.stringify((await server.context.log.read({})));
    expect(entries).toContain('WEBHOOK.CREATED');
    const { readTree } = await import('./helpers/read-tree.js');
    const disk = readTree(path.join(tmp, 'data'));
    for (const secret of [SIGNING, ROUTING]) {
      expect(replies).not.toContain(secret);
      expect(entries).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(disk).not.toContain(secret);
    }
  });
});
