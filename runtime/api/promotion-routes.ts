// Environment promotion (issue 15): the environments of a session's repository, promotions with
// approvals, and environment rollbacks. The git work is the engine's (git-engine/environments.ts);
// these routes check what they can up front, so a refused request changes nothing and logs nothing.
import { roleAtLeast } from '../auth/roles.js';
import { ApiError } from '../errors.js';
import { defineRoute, json, type Route } from '../http/route.js';
import { newId } from '../sessions/session-registry.js';
import type { SessionHost } from '../sessions/session-host.js';
import { repoTarget } from '../sessions/session-meta.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';
import { EmptyBody, EnvironmentRollbackBody, PromoteBody } from './schemas.js';

export function promotionRoutes(app: AppContext): Route[] {
  const pendingOf = (host: SessionHost, promotionId: string) => {
    const pending = host.view().pendingPromotions.find((p) => p.promotionId === promotionId);
    if (pending) return pending;
    const done = host.view().timeline.find((e) => e.kind === 'promotion' && e.promotionId === promotionId);
    if (done) throw new ApiError('ALREADY_APPROVED', `promotion ${promotionId} has finished`, { promotionId });
    throw new ApiError('PROMOTION_NOT_FOUND', `no promotion ${promotionId} in session ${host.id}`, { promotionId });
  };

  return [
    defineRoute({
      method: 'GET',
      pattern: '/api/sessions/:id/environments',
      access: 'viewer',
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const environments = await app.engine.listEnvironments(repoTarget(host.meta));
        return json(200, { environments, pendingPromotions: host.view().pendingPromotions });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/promotions',
      access: 'operator',
      body: PromoteBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        // Environment known, checkpoint eligible, fast-forward: refused here with the engine's code.
        const plan = await app.engine.planPromotion({ ...repoTarget(host.meta), checkpoint: ctx.body.checkpoint, environment: ctx.body.to });
        // CI verdicts on the checkpoint's commit that `.thalogos.json` requires before any promotion.
        const required = (await app.engine.repoConfig(repoTarget(host.meta))).ci.requiredForPromotion;
        const reported = host.view().ciStatuses[plan.commit] ?? {};
        const missing = required.filter((context) => reported[context]?.state !== 'success').map((context) => ({ context, state: reported[context]?.state ?? 'none' }));
        if (missing.length > 0) {
          throw new ApiError('STATUS_REQUIRED', `a required CI status is missing on ${plan.checkpoint} (${plan.commit.slice(0, 10)}): ${missing.map((m) => `${m.context} is ${m.state}`).join(', ')}`, { checkpoint: plan.checkpoint, commit: plan.commit, missing });
        }
        const busy = host.view().pendingPromotions.find((p) => p.environment === plan.environment);
        if (busy) {
          throw new ApiError('PROMOTION_IN_PROGRESS', `promotion ${busy.promotionId} to ${plan.environment} is ${busy.state === 'running' ? 'running' : 'waiting for approvals'}`, { promotionId: busy.promotionId });
        }
        const promotionId = newId('pr');
        await host.submit(
          { type: 'PROMOTION.REQUEST', promotionId, checkpoint: plan.checkpoint, environment: plan.environment, required: plan.approvals, at: app.now().toISOString(), by: ctx.principal?.name ?? '' },
          { actor: actorOf(ctx.principal), command: true },
        );
        return json(202, { promotionId, session: host.view() });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/promotions/:promotionId/approve',
      access: 'reviewer',
      body: EmptyBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const pending = pendingOf(host, ctx.params.promotionId ?? '');
        const by = ctx.principal?.name ?? '';
        if (pending.state !== 'awaiting_approval' || !pending.required) {
          throw new ApiError('ALREADY_APPROVED', `promotion ${pending.promotionId} is not waiting for approvals`, { promotionId: pending.promotionId, state: pending.state });
        }
        const role = ctx.principal ? app.access.roleOn(ctx.principal, host.id) : null;
        if (!role || !roleAtLeast(role, pending.required.role)) {
          throw new ApiError('FORBIDDEN', `approving a promotion to ${pending.environment} needs the ${pending.required.role} role`, { required: pending.required.role, role });
        }
        if (pending.requestedBy === by) throw new ApiError('SELF_APPROVAL', `${by} asked for this promotion and cannot approve it; another ${pending.required.role} must`, { promotionId: pending.promotionId });
        if (pending.approvals.some((a) => a.by === by)) throw new ApiError('ALREADY_APPROVED', `${by} approved this promotion already`, { promotionId: pending.promotionId });
        await host.submit({ type: 'PROMOTION.APPROVE', promotionId: pending.promotionId, at: app.now().toISOString(), by }, { actor: actorOf(ctx.principal), command: true });
        return json(202, { promotionId: pending.promotionId, session: host.view() });
      },
    }),
    defineRoute({
      method: 'POST',
      pattern: '/api/sessions/:id/environments/:environment/rollback',
      access: 'operator',
      body: EnvironmentRollbackBody,
      async handle(ctx) {
        const host = app.sessions.get(ctx.params.id ?? '');
        const environment = ctx.params.environment ?? '';
        // The move is recorded after it is made: a quarantined session, which refuses the record, must not move it.
        if (host.view().status === 'damaged') throw new ApiError('SESSION_DAMAGED', `session ${host.id} is quarantined; repair or skip its damaged entry first`);
        if (host.view().pendingPromotions.some((p) => p.environment === environment && p.state === 'running')) {
          throw new ApiError('PROMOTION_IN_PROGRESS', `a promotion to ${environment} is running`, { environment });
        }
        const result = await app.engine.rollbackEnvironment({ ...repoTarget(host.meta), checkpoint: ctx.body.checkpoint, environment });
        await host.submit({ type: 'ENVIRONMENT.ROLLED_BACK', ...result, at: app.now().toISOString(), by: ctx.principal?.name ?? '' }, { actor: actorOf(ctx.principal), command: false });
        return json(200, { ...result, session: host.view() });
      },
    }),
  ];
}
