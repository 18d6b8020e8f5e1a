// Runs the planner: one read-only agent run on the session's repository, whose final answer
// becomes PLAN.CREATED (a checked plan) or PLAN.FAILED (a typed error), both with the raw answer.
// Started by the plan route after PLAN.REQUEST is logged; results go through SessionHost.submit.
import type { Logger } from 'pino';
import type { AdapterRegistry, AgentRun } from '../../adapters/index.js';
import type { SessionEvent } from '../../contracts/index.js';
import { MAX_PLAN_RAW, type Plan } from '../../contracts/plan.js';
import type { ActorRef } from '../log/log-entry.js';
import type { RunTable } from '../sessions/run-table.js';
import type { SessionHost } from '../sessions/session-host.js';
import { parsePlanAnswer } from './plan-answer.js';
import { plannerPrompt } from './planner-prompt.js';

export interface PlannerDeps {
  adapters: AdapterRegistry;
  /** The runtime's run table: a shutdown cancels a planner run like any agent run. */
  runs: RunTable;
  now: () => Date;
  logger: Logger;
  /** Agents a plan may suggest (the session's order, command agents included). */
  agents: () => string[];
  /** After PLAN.CREATED is logged: seeds the plan into the shared document people edit. */
  onCreated?: (plan: Plan) => Promise<void>;
}

export interface PlanJob { planId: string; goal: string; agent: string }

/** The run-table key of a plan's run (plans are not tasks; the prefix keeps the ids apart). */
export const planRunId = (planId: string): string => `plan-${planId}`;

const bounded = (text: string | null): string | null => (text === null ? null : text.length > MAX_PLAN_RAW ? text.slice(0, MAX_PLAN_RAW) : text);

export function startPlanner(host: SessionHost, deps: PlannerDeps, job: PlanJob): void {
  const runId = planRunId(job.planId);
  const actor: ActorRef = { kind: 'agent', id: runId, name: job.agent };
  const log = deps.logger.child({ sessionId: host.id, planId: job.planId });
  const record = (event: SessionEvent) =>
    host.submit(deps.adapters.redactor.value(event), { actor, command: false }).catch((error: unknown) => log.error({ err: error, event: event.type }, 'could not record the plan result'));
  const failed = (code: string, message: string, raw: string | null) =>
    record({ type: 'PLAN.FAILED', planId: job.planId, error: { code, message }, raw: bounded(raw), at: deps.now().toISOString() });

  deps.runs.reserve(runId, `plan:${job.planId}`);
  void (async () => {
    let run: AgentRun;
    try {
      run = deps.adapters.run(job.agent, { runId, cwd: host.meta.repoPath, prompt: plannerPrompt(job.goal, deps.agents()), readOnly: true });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      await failed(e.code ?? 'PLANNER_FAILED', e.message ?? String(error), null);
      return;
    }
    deps.runs.attach(runId, run);
    // The planner's tool calls are not part of any task: drained, not logged.
    for await (const _event of run.events) { /* drain */ }
    const outcome = await run.done;
    if (outcome.status !== 'succeeded') {
      await failed(outcome.error?.code ?? 'PLANNER_FAILED', outcome.error?.message ?? `the planner run ${outcome.status}`, outcome.finalMessage);
      return;
    }
    const checked = parsePlanAnswer(outcome.finalMessage);
    if (!checked.ok) {
      await failed(checked.error.code, checked.error.message, outcome.finalMessage);
      return;
    }
    await record({ type: 'PLAN.CREATED', planId: job.planId, plan: checked.plan, raw: bounded(outcome.finalMessage) ?? '', cliVersion: outcome.cliVersion, at: deps.now().toISOString() });
    // Best effort: GET and approve seed it too when it is missing.
    await deps.onCreated?.(checked.plan).catch((error: unknown) => log.warn({ err: error }, 'could not seed the plan into the shared document'));
  })()
    .catch((error: unknown) => log.error({ err: error }, 'planner wiring failed'))
    .finally(() => deps.runs.finish(runId));
}
