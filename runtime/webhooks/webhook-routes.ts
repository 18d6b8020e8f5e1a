import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { actorOf } from '../api/principal-actor.js';
import type { SessionLog } from '../storage/ports.js';
import type { Outbox } from './outbox.js';
import { describeRef, resolveSecret, SecretRefSchema, SecretUnavailableError, type SecretRef } from '../secrets/secret-ref.js';
import { WebhookEventTypeSchema } from './webhook-events.js';
import type { Subscription, WebhookStore } from './webhook-store.js';

export const WEBHOOK_CREATED = 'WEBHOOK.CREATED';
export const WEBHOOK_DELETED = 'WEBHOOK.DELETED';

const CreateWebhookBody = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  events: z.array(WebhookEventTypeSchema).min(1).max(20).refine((list) => new Set(list).size === list.length, 'each event type may appear once'),
  format: z.enum(['json', 'slack', 'pagerduty']).default('json'),
  /** Signs each delivery with HMAC-SHA256 (docs/runbooks/webhooks.md). */
  secretRef: SecretRefSchema.optional(),
  /** PagerDuty Events API v2 routing key; required with format `pagerduty`. */
  routingKeyRef: SecretRefSchema.optional(),
}).refine((body) => body.format !== 'pagerduty' || body.routingKeyRef, { message: 'format pagerduty needs routingKeyRef', path: ['routingKeyRef'] })
  .refine((body) => body.format === 'pagerduty' || !body.routingKeyRef, { message: 'routingKeyRef is for format pagerduty only', path: ['routingKeyRef'] });
const EmptyBody = z.strictObject({});

export interface WebhookRouteDeps {
  store: WebhookStore;
  outbox: Outbox;
  log: SessionLog;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

/** What the audit log records of a subscription: where (origin only: a Slack URL's path is its secret) and which secret source, never a value. */
function auditView(row: Subscription) {
  return { id: row.id, origin: new URL(row.url).origin, events: row.events, format: row.format, secretRef: row.secretRef ? describeRef(row.secretRef) : null, routingKeyRef: row.routingKeyRef ? describeRef(row.routingKeyRef) : null };
}

async function checkResolvable(ref: SecretRef | undefined, env: NodeJS.ProcessEnv, field: string): Promise<void> {
  if (!ref) return;
  try {
    await resolveSecret(ref, env);
  } catch (error) {
    if (error instanceof SecretUnavailableError) throw new ApiError('WEBHOOK_SECRET_UNAVAILABLE', `${field}: ${error.message}`, { field });
    throw error;
  }
}

/** Admin routes: subscriptions, their delivery log, and redelivery of dead letters. */
export function webhookRoutes(deps: WebhookRouteDeps): Route[] {
  const find = (id: string): Subscription => {
    const row = deps.store.subscription(id);
    if (!row || row.deletedAt) throw new ApiError('WEBHOOK_NOT_FOUND', `no webhook ${id}`);
    return row;
  };
  return [
    defineRoute({
      method: 'GET',
      pattern: '/api/webhooks',
      access: 'admin',
      handle: () => json(200, { webhooks: deps.store.active() }),
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/webhooks',
      access: 'admin',
      body: CreateWebhookBody,
      async handle(ctx) {
        // A reference that cannot be resolved now would only fill the delivery log with failures.
        await checkResolvable(ctx.body.secretRef, deps.env, 'secretRef');
        await checkResolvable(ctx.body.routingKeyRef, deps.env, 'routingKeyRef');
        const by = actorOf(ctx.principal);
        const row: Subscription = {
          id: `wh_${randomBytes(8).toString('hex')}`,
          url: ctx.body.url, events: ctx.body.events, format: ctx.body.format,
          secretRef: ctx.body.secretRef ?? null, routingKeyRef: ctx.body.routingKeyRef ?? null,
          createdAt: deps.now().toISOString(), createdBy: by.id, deletedAt: null,
        };
        await deps.log.appendOne({ kind: 'audit', actor: by, sessionId: null, type: WEBHOOK_CREATED, data: auditView(row) }, [deps.store.writeFor(row)]);
        deps.store.remember(row);
        return json(201, row);
      },
    }),
    defineRoute({
      method: 'DELETE',
      pattern: '/api/webhooks/:id',
      access: 'admin',
      async handle(ctx) {
        const row = { ...find(ctx.params.id ?? ''), deletedAt: deps.now().toISOString() };
        await deps.log.appendOne({ kind: 'audit', actor: actorOf(ctx.principal), sessionId: null, type: WEBHOOK_DELETED, data: { id: row.id } }, [deps.store.writeFor(row)]);
        deps.store.remember(row);
        return json(200, row);
      },
    }),
    defineRoute({
      method: 'GET',
      pattern: '/api/webhooks/:id/deliveries',
      access: 'admin',
      async handle(ctx) {
        const row = find(ctx.params.id ?? '');
        const limit = Math.min(500, Math.max(1, Number(ctx.query.get('limit') ?? 100) || 100));
        return json(200, { deliveries: await deps.store.deliveriesOf(row.id, limit) });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/webhooks/:id/deliveries/:deliveryId/redeliver',
      access: 'admin',
      body: EmptyBody,
      async handle(ctx) {
        const row = find(ctx.params.id ?? '');
        const id = ctx.params.deliveryId ?? '';
        const delivery = await deps.store.delivery(id);
        if (!delivery || delivery.subscriptionId !== row.id) throw new ApiError('DELIVERY_NOT_FOUND', `no delivery ${id} of webhook ${row.id}`);
        if (delivery.status === 'pending') throw new ApiError('INVALID_STATE', `delivery ${id} is still pending (attempt ${delivery.attempts + 1} is scheduled)`);
        return json(202, await deps.outbox.redeliver(id));
      },
    }),
  ];
}
