import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../log/log-entry.js';
import { eventsOf } from './webhook-events.js';

const entry = (seq: number, type: string, data: unknown): LogEntry =>
  ({ seq, at: '2026-12-03T10:00:00.000Z', kind: 'actor', actor: { kind: 'system', id: 'runtime' }, sessionId: 's1', taskId: null, type, data, prevHash: 'x', hash: 'y' }) as unknown as LogEntry;
const source = { title: 'Shop', view: () => null };

describe('webhook events of promotions', () => {
  it('a completed promotion, a failed one and an environment rollback each become their event', () => {
    const promoted = eventsOf(entry(7, 'PROMOTION.COMPLETED', { promotionId: 'pr1', result: { status: 'promoted', environment: 'staging', checkpoint: 'checkpoint/2026-12-03-2', commit: 'c'.repeat(40), previous: null, gates: [] }, at: 'x' }), source);
    expect(promoted).toMatchObject([{ type: 'promotion.completed', seq: 7, severity: 'info', summary: 'Promoted checkpoint/2026-12-03-2 to staging in "Shop"', data: { environment: 'staging' } }]);
    const gated = eventsOf(entry(8, 'PROMOTION.COMPLETED', { promotionId: 'pr2', result: { status: 'gates_failed', environment: 'prod', checkpoint: 'checkpoint/2026-12-03-2', commit: 'c'.repeat(40), previous: null, gates: [] }, at: 'x' }), source);
    expect(gated).toMatchObject([{ type: 'promotion.failed', severity: 'error', summary: 'Promotion pr2 in "Shop" failed: gates failed' }]);
    const refused = eventsOf(entry(9, 'PROMOTION.COMPLETED', { promotionId: 'pr3', result: { status: 'error', error: { code: 'INTERRUPTED', message: 'restart' } }, at: 'x' }), source);
    expect(refused).toMatchObject([{ type: 'promotion.failed', data: { code: 'INTERRUPTED', environment: null } }]);
    const back = eventsOf(entry(10, 'ENVIRONMENT.ROLLED_BACK', { environment: 'prod', checkpoint: 'checkpoint/2026-12-03-1', commit: 'a'.repeat(40), previous: 'b'.repeat(40), at: 'x', by: 'olga' }), source);
    expect(back).toMatchObject([{ type: 'promotion.rolled_back', severity: 'warning', summary: 'release/prod rolled back to checkpoint/2026-12-03-1 in "Shop" by olga' }]);
  });
});
