import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ConfigFile } from '../config/config-file.js';
import type { Db } from '../storage/db.js';
import type { SessionLog } from '../storage/ports.js';
import type { SessionHost } from '../sessions/session-host.js';
import type { SessionRegistry } from '../sessions/session-registry.js';
import type { LogEntry } from '../log/log-entry.js';
import type { Route } from '../http/route.js';
import { Outbox } from './outbox.js';
import { damageEvent, eventsOf, type WebhookEvent } from './webhook-events.js';
import { WebhookStore } from './webhook-store.js';
import { webhookRoutes } from './webhook-routes.js';

export interface Webhooks {
  onApplied(host: SessionHost, entry: LogEntry): void;
  onQuarantined(host: SessionHost): void;
  /** After the sessions are restored: re-read the log the outbox had not finished, resume pending rows. */
  start(sessions: SessionRegistry): Promise<void>;
  routes(): Route[];
  close(): Promise<void>;
}

function viewOf(host: SessionHost) {
  return () => {
    try {
      return host.isClosed ? null : host.view();
    } catch {
      return null;
    }
  };
}

/** Webhooks and alerts (docs/runbooks/webhooks.md), composed for server.ts. */
export async function openWebhooks(deps: { db: Db; log: SessionLog; clock: Clock; env: NodeJS.ProcessEnv; logger: Logger; settings: ConfigFile['webhooks'] }): Promise<Webhooks> {
  const store = await WebhookStore.open(deps.db);
  const outbox = new Outbox({ store, log: deps.log, clock: deps.clock, env: deps.env, logger: deps.logger, settings: deps.settings });
  // Registered before any session appends: the outbox must know which entries are still on their way.
  const unwatch = outbox.watchLog();
  const damageOf = (host: SessionHost): WebhookEvent[] => (host.damage ? [damageEvent(host.id, host.meta.title, host.damage, deps.clock.now().toISOString())] : []);
  return {
    onApplied: (host, entry) => outbox.applied(entry.seq, eventsOf(entry, { title: host.meta.title, view: viewOf(host) })),
    onQuarantined: (host) => { if (host.damage) outbox.applied(host.damage.seq, damageOf(host)); },
    async start(sessions) {
      await outbox.catchUp((entry) => {
        const host = entry.sessionId && sessions.has(entry.sessionId) ? sessions.get(entry.sessionId) : null;
        return host && !host.damage ? eventsOf(entry, { title: host.meta.title, view: viewOf(host) }) : [];
      }, sessions.damaged().flatMap(damageOf));
    },
    routes: () => webhookRoutes({ store, outbox, log: deps.log, env: deps.env, now: () => deps.clock.now() }),
    async close() {
      unwatch();
      await outbox.close();
    },
  };
}
