import { durableBatch, jsonSublevel, type Db, type JsonSublevel, type PutOp } from '../storage/db.js';
import { seqKey } from '../log/event-log.js';
import type { SecretRef } from '../secrets/secret-ref.js';
import type { WebhookEvent, WebhookEventType } from './webhook-events.js';
import type { WebhookFormat } from './payloads.js';

export interface Subscription {
  id: string;
  url: string;
  events: WebhookEventType[];
  format: WebhookFormat;
  /** Signs each delivery (HMAC-SHA256); null: unsigned. A reference, never the secret. */
  secretRef: SecretRef | null;
  /** PagerDuty's routing key (integration key), format `pagerduty` only. */
  routingKeyRef: SecretRef | null;
  createdAt: string;
  createdBy: string;
  deletedAt: string | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface Delivery {
  /** `${subscriptionId}.${seq}.${eventType}`: the idempotency key receivers see. */
  id: string;
  subscriptionId: string;
  seq: number;
  event: WebhookEvent;
  status: DeliveryStatus;
  attempts: number;
  /** Attempts allowed before the delivery becomes a dead letter (raised by a redelivery). */
  maxAttempts: number;
  nextAttemptAt: string;
  createdAt: string;
  deliveredAt: string | null;
  lastError: string | null;
}

export interface Attempt {
  deliveryId: string;
  n: number;
  at: string;
  outcome: 'delivered' | 'http_error' | 'timeout' | 'network_error' | 'secret_unavailable';
  httpStatus: number | null;
  durationMs: number;
  error: string | null;
}

export const deliveryId = (subscriptionId: string, seq: number, type: string): string => `${subscriptionId}.${seqKey(seq)}.${type}`;

/** Subscriptions, the outbox (one row per delivery) and its attempt log, in the runtime's LevelDB. */
export class WebhookStore {
  readonly subscriptionRows: JsonSublevel<Subscription>;
  private readonly deliveryRows: JsonSublevel<Delivery>;
  private readonly attemptRows: JsonSublevel<Attempt>;
  private readonly meta: JsonSublevel<number>;
  private readonly subscriptions = new Map<string, Subscription>();

  private constructor(private readonly db: Db) {
    this.subscriptionRows = jsonSublevel(db, 'webhooks');
    this.deliveryRows = jsonSublevel(db, 'webhook-deliveries');
    this.attemptRows = jsonSublevel(db, 'webhook-attempts');
    this.meta = jsonSublevel(db, 'webhook-meta');
  }

  static async open(db: Db): Promise<WebhookStore> {
    const store = new WebhookStore(db);
    for await (const [, row] of store.subscriptionRows.iterator()) store.subscriptions.set(row.id, row);
    return store;
  }

  active(): Subscription[] {
    return [...this.subscriptions.values()].filter((row) => row.deletedAt === null);
  }

  subscription(id: string): Subscription | null {
    return this.subscriptions.get(id) ?? null;
  }

  /** The put that stores a subscription row: written atomically with its audit entry. */
  writeFor(row: Subscription): PutOp {
    return { sublevel: this.subscriptionRows, key: row.id, value: row };
  }

  remember(row: Subscription): void {
    this.subscriptions.set(row.id, row);
  }

  async cursor(): Promise<number> {
    return (await this.meta.get('cursor')) ?? 0;
  }

  cursorWrite(seq: number): PutOp {
    return { sublevel: this.meta, key: 'cursor', value: seq };
  }

  async delivery(id: string): Promise<Delivery | null> {
    return (await this.deliveryRows.get(id)) ?? null;
  }

  async hasDelivery(id: string): Promise<boolean> {
    return (await this.deliveryRows.get(id)) !== undefined;
  }

  deliveryWrite(row: Delivery): PutOp {
    return { sublevel: this.deliveryRows, key: row.id, value: row };
  }

  attemptWrite(row: Attempt): PutOp {
    return { sublevel: this.attemptRows, key: `${row.deliveryId}#${String(row.n).padStart(4, '0')}`, value: row };
  }

  async write(puts: PutOp[]): Promise<void> {
    if (puts.length > 0) await durableBatch(this.db, puts);
  }

  async pending(): Promise<Delivery[]> {
    const rows: Delivery[] = [];
    for await (const [, row] of this.deliveryRows.iterator()) if (row.status === 'pending') rows.push(row);
    return rows;
  }

  /** A subscription's deliveries, newest first, each with its attempts. */
  async deliveriesOf(subscriptionId: string, limit: number): Promise<Array<Delivery & { attemptLog: Attempt[] }>> {
    const rows: Array<Delivery & { attemptLog: Attempt[] }> = [];
    for await (const [, row] of this.deliveryRows.iterator({ gt: `${subscriptionId}.`, lt: `${subscriptionId}/`, reverse: true, limit })) {
      const attemptLog: Attempt[] = [];
      for await (const [, attempt] of this.attemptRows.iterator({ gt: `${row.id}#`, lt: `${row.id}$` })) attemptLog.push(attempt);
      rows.push({ ...row, attemptLog });
    }
    return rows;
  }
}
