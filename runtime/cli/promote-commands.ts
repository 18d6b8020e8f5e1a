// `thalogos promote`, `approve`, `environments` and `environment rollback` (issue 15, see
// docs/runbooks/promotion.md). Promotions run in the background; `promote` follows one to its end
// unless it waits for approvals (then it says so and exits 0: approvers finish it).
import type { SessionView } from '../../actors/describe-session.js';
import type { EnvironmentView, PendingPromotion } from '../../contracts/index.js';
import { need, nonNegative, sessionPath, str, type Command, type CommandContext } from './command.js';
import { remedyFor } from './remedies.js';
import { table } from './table.js';
import { waitForPromotion, type PromotionEntry } from './wait.js';

const DEFAULT_WAIT_SECONDS = 30 * 60;

function waitMs(flags: CommandContext['flags']): number {
  return (flags.timeout !== undefined ? nonNegative(str(flags.timeout), '--timeout') : DEFAULT_WAIT_SECONDS) * 1000;
}

function describeOutcome(entry: PromotionEntry): string {
  const r = entry.result;
  if (r.status === 'promoted') return `Promoted ${r.checkpoint} to ${r.environment}: release/${r.environment} is at ${r.commit.slice(0, 10)}${r.previous ? ` (was ${r.previous.slice(0, 10)})` : ''}.`;
  if (r.status === 'gates_failed') {
    const failed = r.gates.find((g) => g.timedOut || g.exitCode !== 0);
    const tail = failed ? failed.output.trimEnd().split('\n').slice(-20).map((line) => `  ${line}`) : [];
    return [`Promotion to ${r.environment} refused: gate ${failed?.command ?? ''} ${failed?.timedOut ? 'timed out' : `exited with ${failed?.exitCode}`}; release/${r.environment} did not move.`, ...tail].join('\n');
  }
  return [`Promotion failed: ${r.error.code}: ${r.error.message}`, ...(remedyFor(r.error.code) ? [`What to do: ${remedyFor(r.error.code)}`] : [])].join('\n');
}

async function follow(ctx: CommandContext, sessionId: string, promotionId: string): Promise<number> {
  const view = await ctx.client.request<SessionView>('GET', sessionPath(sessionId));
  const pending = view.pendingPromotions.find((p) => p.promotionId === promotionId);
  if (pending?.state === 'awaiting_approval' || ctx.flags['no-wait']) {
    ctx.out.result({ promotionId, pending: pending ?? null }, () => pending?.state === 'awaiting_approval' && pending.required
      ? `Promotion ${promotionId} of ${pending.checkpoint} to ${pending.environment} waits for approvals: ${pending.approvals.length} of ${pending.required.count} (role ${pending.required.role}).\nApprove: thalogos approve ${sessionId} ${promotionId}`
      : `Promotion ${promotionId} started. Follow it: thalogos environments ${sessionId}`);
    return 0;
  }
  const entry = await waitForPromotion(ctx.client, sessionId, promotionId, ctx.out, waitMs(ctx.flags));
  ctx.out.result(entry, () => describeOutcome(entry));
  return entry.result.status === 'promoted' ? 0 : 1;
}

export const promoteCommands: Record<string, Command> = {
  async promote(ctx) {
    const sessionId = need(ctx.args[0], 'SESSION');
    const accepted = await ctx.client.request<{ promotionId: string }>('POST', `${sessionPath(sessionId)}/promotions`, {
      checkpoint: need(ctx.args[1], 'CHECKPOINT'),
      to: need(ctx.flags.to, '--to'),
    });
    if (!ctx.out.json) ctx.out.progress(`Promoting ${ctx.args[1]} to ${String(ctx.flags.to)} (${accepted.promotionId})...`);
    return follow(ctx, sessionId, accepted.promotionId);
  },
  async approve(ctx) {
    const sessionId = need(ctx.args[0], 'SESSION');
    const promotionId = need(ctx.args[1], 'PROMOTION');
    await ctx.client.request('POST', `${sessionPath(sessionId)}/promotions/${encodeURIComponent(promotionId)}/approve`, {});
    return follow(ctx, sessionId, promotionId);
  },
  async environments({ client, args, out }) {
    const answer = await client.request<{ environments: EnvironmentView[]; pendingPromotions: PendingPromotion[] }>('GET', `${sessionPath(args[0])}/environments`);
    out.result(answer, () => {
      if (answer.environments.length === 0) return 'No environments: list them in .thalogos.json ("environments": [{"name": "dev"}, ...]) on the base branch.';
      const rows = answer.environments.map((e) => {
        const pending = answer.pendingPromotions.find((p) => p.environment === e.name);
        const waiting = pending ? `${pending.checkpoint} ${pending.state === 'running' ? 'running' : `${pending.approvals.length}/${pending.required?.count ?? 0} approvals (${pending.promotionId})`}` : '';
        return [e.name, e.checkpoint ?? (e.head ? e.head.slice(0, 10) : '-'), e.gates.length > 0 ? String(e.gates.length) : '-', e.approvals ? `${e.approvals.count} ${e.approvals.role}` : '-', waiting];
      });
      return table(['ENVIRONMENT', 'HOLDS', 'GATES', 'APPROVALS', 'PENDING'], rows, out.width);
    });
    return 0;
  },
  async 'environment rollback'({ client, args, out }) {
    const sessionId = need(args[0], 'SESSION');
    const environment = need(args[1], 'ENV');
    const result = await client.request<{ environment: string; checkpoint: string; commit: string; previous: string }>('POST', `${sessionPath(sessionId)}/environments/${encodeURIComponent(environment)}/rollback`, { checkpoint: need(args[2], 'CHECKPOINT') });
    out.result(result, () => `Rolled ${result.environment} back to ${result.checkpoint}: release/${result.environment} is at ${result.commit.slice(0, 10)} (was ${result.previous.slice(0, 10)}).`);
    return 0;
  },
};
