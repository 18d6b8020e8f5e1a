import type { WebhookEvent } from './webhook-events.js';

export type WebhookFormat = 'json' | 'slack' | 'pagerduty';

/** Events that open (trigger) an incident per session, and those that close (resolve) it. */
const RESOLVES: ReadonlySet<string> = new Set(['save.published', 'promotion.completed']);

/** One incident per session: a later published Save resolves what failed gates triggered. */
export const pagerDutyDedupKey = (event: WebhookEvent): string => `thalogos/${event.sessionId}`;

/**
 * The request body for a subscription's format. Generic JSON carries the whole event; Slack gets
 * an incoming-webhook message; PagerDuty an Events API v2 event (the routing key resolved now).
 */
export function renderBody(format: WebhookFormat, event: WebhookEvent, deliveryId: string, routingKey: string | null): string {
  if (format === 'slack') {
    const text = `${icon(event)} ${event.summary}`;
    return JSON.stringify({
      text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: `${event.type} · session ${event.sessionId}${event.taskId ? ` · task ${event.taskId}` : ''} · ${event.at}` }] },
      ],
    });
  }
  if (format === 'pagerduty') {
    const action = RESOLVES.has(event.type) ? 'resolve' : 'trigger';
    return JSON.stringify({
      routing_key: routingKey ?? '',
      event_action: action,
      dedup_key: pagerDutyDedupKey(event),
      ...(action === 'trigger'
        ? { payload: { summary: event.summary.slice(0, 1024), source: `thalogos session ${event.sessionId}`, severity: event.severity, timestamp: event.at, component: event.taskId ?? undefined, group: event.sessionTitle, class: event.type, custom_details: event.data } }
        : { payload: { summary: event.summary.slice(0, 1024), source: `thalogos session ${event.sessionId}`, severity: 'info' } }),
    });
  }
  return JSON.stringify({ id: deliveryId, type: event.type, event });
}

function icon(event: WebhookEvent): string {
  return { critical: ':rotating_light:', error: ':x:', warning: ':warning:', info: ':white_check_mark:' }[event.severity];
}
