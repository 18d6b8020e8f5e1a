import { defineRoute, json, type Route } from '../http/route.js';
import type { AuditReport, LogAnchor } from '../log/log-integrity.js';

export interface AuditRouteDeps {
  audit(anchors?: LogAnchor[]): Promise<AuditReport>;
  /**
   * Chain positions recorded outside the log, e.g. the `logHead` each checkpoint tag's message
   * carries; checked against the log so a rewritten log disagrees with git itself.
   */
  anchors?: () => Promise<LogAnchor[]>;
}

/**
 * `GET /api/audit/verify`: the whole chain, cross-checked against the head journal, the session
 * snapshots and the anchors; `ok` is false with one finding per problem (kind, seq, reason).
 */
export function auditRoutes(deps: AuditRouteDeps): Route[] {
  return [
    defineRoute({
      method: 'GET',
      pattern: '/api/audit/verify',
      access: 'admin',
      handle: async () => json(200, await deps.audit(deps.anchors ? await deps.anchors() : [])),
    }),
  ];
}
