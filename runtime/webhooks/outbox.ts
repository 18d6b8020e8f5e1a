import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { LogEntry } from '../log/log-entry.js';
import type { SessionLog } from '../storage/ports.js';
import type { PutOp } from '../storage/db.js';
import { renderBody } from './payloads.js';
import { resolveSecret, SecretUnavailableError } from '../secrets/secret-ref.js';
import { DELIVERY_HEADER, EVENT_HEADER, sign, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js';
import { deliveryId, type Attempt, type Delivery, type Subscription, type WebhookStore } from './webhook-store.js';
import type { WebhookEvent } from './webhook-events.js';

export interface OutboxSettings {
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface OutboxDeps {
  store: WebhookStore;
  log: SessionLog;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  settings: OutboxSettings;
}

const INFLIGHT_GIVE_UP_MS = 5 * 60_000;

/** Delay before attempt n+1 after n failures: exponential, capped, with jitter (50–100 %). */
export function backoffMs(failures: number, settings: OutboxSettings, random = Math.random): number {
  const ceiling = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * The durable outbox. Fed by the event log: each applied entry's webhook events become delivery
 * rows (one per matching subscription, id = subscription + seq + type) before they are sent, and
 * the position in the log the outbox has fully read is stored with them. A restart re-reads the
 * log after that position (rows that exist are not written twice) and resumes every pending row,
 * so kill -9 anywhere between the event and the receiver's 2xx still delivers (at least once).
 */
export class Outbox {
  private readonly timers = new Map<string, unknown>();
  private readonly sending = new Set<string>();
  /** Entries appended but not yet applied (seen by the log listener, not yet by onApplied), with when. */
  private readonly inflight = new Map<number, number>();
  private highestSeen = 0;
  private writes: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly inFlightRequests = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();

  constructor(private readonly deps: OutboxDeps) {}

  /** Before any live entry: remembers which entries are on their way to onApplied. */
  watchLog(): () => void {
    return this.deps.log.onAppend((entries) => {
      for (const entry of entries) {
        if (entry.sessionId && entry.kind !== 'audit') this.inflight.set(entry.seq, this.deps.clock.now().getTime());
        this.highestSeen = Math.max(this.highestSeen, entry.seq);
      }
    });
  }

  /** Everything the log holds after the stored cursor, classified against the restored sessions. */
  async catchUp(classify: (entry: LogEntry) => WebhookEvent[], extra: WebhookEvent[]): Promise<void> {
    let after = await this.deps.store.cursor();
    const head = this.deps.log.head.seq;
    await this.enqueue(extra, null);
    while (after < head) {
      const page = await this.deps.log.read({ after, until: head, limit: 500 });
      if (page.length === 0) break;
      for (const entry of page) await this.enqueue(classify(entry), null);
      after = page.at(-1)!.seq;
    }
    this.highestSeen = Math.max(this.highestSeen, head);
    await this.serialized(async () => this.deps.store.write([this.deps.store.cursorWrite(this.watermark())]));
    for (const row of await this.deps.store.pending()) this.schedule(row);
  }

  /** One applied entry's events (live). */
  applied(seq: number, events: WebhookEvent[]): void {
    void this.enqueue(events, seq).catch((error: unknown) => this.deps.logger.error({ err: error, seq }, 'could not write webhook deliveries; a restart re-reads the log'));
  }

  /** All rows for the events, written in one durable batch with the advanced cursor. */
  private async enqueue(events: WebhookEvent[], seq: number | null): Promise<void> {
    const subscriptions = this.deps.store.active();
    const rows: Delivery[] = [];
    await this.serialized(async () => {
      const puts: PutOp[] = [];
      for (const event of events) {
        for (const subscription of subscriptions.filter((candidate) => candidate.events.includes(event.type))) {
          const id = deliveryId(subscription.id, event.seq, event.type);
          if (await this.deps.store.hasDelivery(id)) continue;
          const now = this.deps.clock.now().toISOString();
          const row: Delivery = {
            id, subscriptionId: subscription.id, seq: event.seq, event, status: 'pending', attempts: 0,
            maxAttempts: this.deps.settings.maxAttempts, nextAttemptAt: now, createdAt: now, deliveredAt: null, lastError: null,
          };
          rows.push(row);
          puts.push(this.deps.store.deliveryWrite(row));
        }
      }
      if (seq !== null) this.inflight.delete(seq);
      // The cursor only needs to be durable with rows; without any it may lag (re-reading is harmless).
      if (puts.length > 0 && seq !== null) puts.push(this.deps.store.cursorWrite(this.watermark()));
      await this.deps.store.write(puts);
    });
    for (const row of rows) this.schedule(row);
  }

  /** The highest seq below which every entry has been classified. */
  private watermark(): number {
    // An entry no session applied within INFLIGHT_GIVE_UP_MS (its session closed first) has no
    // events to send: it must not hold the cursor back forever.
    const cutoff = this.deps.clock.now().getTime() - INFLIGHT_GIVE_UP_MS;
    let lowest = Infinity;
    for (const [seq, since] of this.inflight) {
      if (since < cutoff) this.inflight.delete(seq);
      else lowest = Math.min(lowest, seq);
    }
    return lowest === Infinity ? this.highestSeen : lowest - 1;
  }

  private serialized(work: () => Promise<void>): Promise<void> {
    const next = this.writes.then(work);
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Puts a row (back) on the timer for its next attempt. */
  schedule(row: Delivery): void {
    if (this.closed || row.status !== 'pending' || this.sending.has(row.id)) return;
    const existing = this.timers.get(row.id);
    if (existing !== undefined) this.deps.clock.clearTimeout(existing);
    const wait = Math.max(0, Date.parse(row.nextAttemptAt) - this.deps.clock.now().getTime());
    this.timers.set(row.id, this.deps.clock.setTimeout(() => {
      this.timers.delete(row.id);
      const request = this.attempt(row.id).catch((error: unknown) => this.deps.logger.error({ err: error, delivery: row.id }, 'webhook attempt failed unexpectedly'));
      this.inFlightRequests.add(request);
      void request.finally(() => this.inFlightRequests.delete(request));
    }, wait));
  }

  private async attempt(id: string): Promise<void> {
    if (this.closed || this.sending.has(id)) return;
    const row = await this.deps.store.delivery(id);
    const subscription = row ? this.deps.store.subscription(row.subscriptionId) : null;
    // A deleted subscription sends nothing more; its pending rows stay as they are (visible, inert).
    if (!row || row.status !== 'pending' || !subscription || subscription.deletedAt) return;
    this.sending.add(id);
    try {
      const n = row.attempts + 1;
      const started = this.deps.clock.now();
      const result = await this.send(subscription, row);
      // Shutdown cut the attempt short: it is not the receiver's failure. The row stays pending
      // and the next start sends it again (same idempotency key).
      if (this.closed) return;
      const at = this.deps.clock.now();
      const attempt: Attempt = { deliveryId: id, n, at: started.toISOString(), durationMs: at.getTime() - started.getTime(), ...result };
      const delivered = result.outcome === 'delivered';
      const dead = !delivered && n >= row.maxAttempts;
      const next: Delivery = {
        ...row,
        attempts: n,
        status: delivered ? 'delivered' : dead ? 'dead' : 'pending',
        deliveredAt: delivered ? at.toISOString() : null,
        lastError: delivered ? null : result.error,
        nextAttemptAt: new Date(at.getTime() + (delivered || dead ? 0 : backoffMs(n, this.deps.settings))).toISOString(),
      };
      await this.serialized(async () => this.deps.store.write([this.deps.store.attemptWrite(attempt), this.deps.store.deliveryWrite(next)]));
      if (dead) this.deps.logger.warn({ delivery: id, attempts: n, error: result.error }, 'webhook delivery is a dead letter');
      this.sending.delete(id);
      this.schedule(next);
    } finally {
      this.sending.delete(id);
    }
  }

  /** One HTTP attempt, bounded by the timeout; secrets are resolved here and only held in memory. */
  private async send(subscription: Subscription, row: Delivery): Promise<Pick<Attempt, 'outcome' | 'httpStatus' | 'error'>> {
    const secrets: string[] = [];
    let body: string;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'thalogos-webhooks', 'idempotency-key': row.id, [DELIVERY_HEADER]: row.id, [EVENT_HEADER]: row.event.type };
    try {
      const routingKey = subscription.routingKeyRef ? await resolveSecret(subscription.routingKeyRef, this.deps.env) : null;
      if (routingKey) secrets.push(routingKey);
      body = renderBody(subscription.format, row.event, row.id, routingKey);
      if (subscription.secretRef) {
        const secret = await resolveSecret(subscription.secretRef, this.deps.env);
        secrets.push(secret);
        const timestamp = Math.floor(this.deps.clock.now().getTime() / 1000);
        headers[TIMESTAMP_HEADER] = String(timestamp);
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body);
      }
    } catch (error) {
      if (error instanceof SecretUnavailableError) return { outcome: 'secret_unavailable', httpStatus: null, error: error.message };
      throw error;
    }
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = this.deps.clock.setTimeout(() => abort.abort(), this.deps.settings.timeoutMs);
    try {
      const response = await fetch(subscription.url, { method: 'POST', headers, body, signal: abort.signal, redirect: 'manual' });
      // The receiver's body is read (to free the connection) but never stored: it may echo secrets.
      await response.arrayBuffer().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { outcome: 'delivered', httpStatus: response.status, error: null };
      return { outcome: 'http_error', httpStatus: response.status, error: `HTTP ${response.status}` };
    } catch (error) {
      if (abort.signal.aborted) return { outcome: 'timeout', httpStatus: null, error: `no answer within ${this.deps.settings.timeoutMs} ms` };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { outcome: 'network_error', httpStatus: null, error: redact(cause?.code ?? cause?.message ?? (error as Error).message, secrets) };
    } finally {
      this.deps.clock.clearTimeout(timer);
      this.aborts.delete(abort);
    }
  }

  /** An admin's redelivery: a dead (or delivered) row goes back to pending with a fresh budget. */
  async redeliver(id: string): Promise<Delivery | null> {
    let updated: Delivery | null = null;
    await this.serialized(async () => {
      const row = await this.deps.store.delivery(id);
      if (!row || row.status === 'pending') { updated = row; return; }
      updated = { ...row, status: 'pending', maxAttempts: row.attempts + this.deps.settings.maxAttempts, nextAttemptAt: this.deps.clock.now().toISOString(), lastError: row.lastError };
      await this.deps.store.write([this.deps.store.deliveryWrite(updated)]);
    });
    if (updated) this.schedule(updated);
    return updated;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
    for (const abort of this.aborts) abort.abort();
    await Promise.allSettled([...this.inFlightRequests]);
    await this.writes;
  }
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((out, secret) => (secret ? out.split(secret).join('[redacted]') : out), text);
}
