// `save` and `rollback` are accepted at once (202) and run in the background; by default the CLI
// follows them to their outcome, printing each stage once, so a script's exit code means "saved".
import type { SessionView } from '../../actors/describe-session.js';
import type { TimelineEntry } from '../../actors/session.machine.js';
import type { ApiClient } from './api-client.js';
import type { Output } from './output.js';

const POLL_MS = 250;

export type SaveEntry = Extract<TimelineEntry, { kind: 'save' }>;
export type RollbackEntry = Extract<TimelineEntry, { kind: 'rollback' }>;

async function follow<T>(
  client: ApiClient,
  sessionId: string,
  out: Output,
  check: (view: SessionView) => { done: T } | { stage: string },
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastStage = '';
  for (;;) {
    const view = await client.request<SessionView>('GET', `/api/sessions/${encodeURIComponent(sessionId)}`);
    const state = check(view);
    if ('done' in state) return state.done;
    if (state.stage !== lastStage) {
      out.progress(`  ${state.stage}...`);
      lastStage = state.stage;
    }
    if (Date.now() > deadline) throw new WaitTimeout(`still ${state.stage} after ${Math.round(timeoutMs / 1000)} s; follow it with: thalogos session show ${sessionId}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
  readonly code = 'WAIT_TIMEOUT';
}

export function waitForSave(client: ApiClient, sessionId: string, saveId: string, out: Output, timeoutMs: number): Promise<SaveEntry> {
  return follow<SaveEntry>(client, sessionId, out, (view) => {
    const entry = view.timeline.find((item): item is SaveEntry => item.kind === 'save' && item.saveId === saveId);
    if (entry) return { done: entry };
    const save = view.pendingSave?.saveId === saveId ? view.pendingSave : null;
    if (!save || save.phase === 'draining') return { stage: 'waiting for running tasks to finish' };
    if (save.phase === 'gating' && save.gate) return { stage: `gate ${save.gate.index + 1} of ${save.gate.total}: ${save.gate.command}` };
    if (save.phase === 'blaming') return { stage: 'a gate failed: finding which task broke it' };
    return { stage: save.phase };
  }, timeoutMs);
}

export function waitForRollback(client: ApiClient, sessionId: string, rollbackId: string, out: Output, timeoutMs: number): Promise<RollbackEntry> {
  return follow<RollbackEntry>(client, sessionId, out, (view) => {
    const entry = view.timeline.find((item): item is RollbackEntry => item.kind === 'rollback' && item.rollbackId === rollbackId);
    return entry ? { done: entry } : { stage: `rolling back to ${view.pendingRollback?.checkpoint ?? 'the checkpoint'}` };
  }, timeoutMs);
}

export type PromotionEntry = Extract<TimelineEntry, { kind: 'promotion' }>;

/** Follows a promotion to its end; while it waits for approvals, says how many it has. */
export function waitForPromotion(client: ApiClient, sessionId: string, promotionId: string, out: Output, timeoutMs: number): Promise<PromotionEntry> {
  return follow<PromotionEntry>(client, sessionId, out, (view) => {
    const entry = view.timeline.find((item): item is PromotionEntry => item.kind === 'promotion' && item.promotionId === promotionId);
    if (entry) return { done: entry };
    const pending = view.pendingPromotions.find((p) => p.promotionId === promotionId);
    if (pending?.state === 'awaiting_approval' && pending.required) return { stage: `waiting for approvals (${pending.approvals.length} of ${pending.required.count}, role ${pending.required.role})` };
    return { stage: `promoting to ${pending?.environment ?? 'the environment'} (gates, then release branch)` };
  }, timeoutMs);
}
