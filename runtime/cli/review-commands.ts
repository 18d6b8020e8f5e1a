// The planner and the review loop from the command line: what the console's plan editor, review
// card and Save preview do, for people who script their sessions (docs/api.md has the routes).
import type { SessionView, TaskView } from '../../contracts/index.js';
import type { PlanRecord, PlanTask } from '../../contracts/plan.js';
import type { SavePreview } from '../../git-engine/save-preview.js';
import { need, nonNegative, sessionPath, str, taskPath, type Command, type CommandContext } from './command.js';
import { statusWords } from './format-views.js';
import { remedyFor } from './remedies.js';
import { plural, table } from './table.js';
import { UsageError } from './usage.js';
import { WaitTimeout } from './wait.js';

/** How long `plan` waits for the planner by default before leaving it running. */
const DEFAULT_PLAN_WAIT_SECONDS = 10 * 60;
const POLL_MS = 500;

type PlanReply = PlanRecord & { draft?: PlanTask[] | null; tasks?: TaskView[] };

function planPath(sessionId: string | undefined, planId: string | undefined): string {
  return `${sessionPath(sessionId)}/plans/${encodeURIComponent(need(planId, 'PLAN'))}`;
}

/** The plan's tasks as people left them (the draft) or as the planner proposed them. */
function formatPlan(plan: PlanReply): string {
  const tasks = plan.draft ?? plan.approval?.plan.tasks ?? plan.plan?.tasks ?? [];
  const head = `Plan ${plan.planId} (${plan.status}) for: ${plan.goal}`;
  if (plan.status === 'failed') {
    const code = plan.error?.code ?? 'PLAN_FAILED';
    return [head, `Planning failed: ${code}: ${plan.error?.message ?? ''}`, ...(remedyFor(code) ? [`What to do: ${remedyFor(code)}`] : [])].join('\n');
  }
  if (tasks.length === 0) return `${head}\nThe planner is still working.`;
  const rows = tasks.map((task) => [task.id, task.title, task.dependsOn.join(',') || '-', task.agent ?? '-']);
  return [head, ...(plan.plan?.summary ? [plan.plan.summary] : []), '', table(['TASK', 'TITLE', 'AFTER', 'AGENT'], rows)].join('\n');
}

async function waitForPlan(ctx: CommandContext, sessionId: string, planId: string): Promise<PlanReply> {
  const timeoutMs = (ctx.flags.timeout !== undefined ? nonNegative(str(ctx.flags.timeout), '--timeout') : DEFAULT_PLAN_WAIT_SECONDS) * 1000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const plan = await ctx.client.request<PlanReply>('GET', planPath(sessionId, planId));
    if (plan.status !== 'planning') return plan;
    if (Date.now() > deadline) throw new WaitTimeout(`the planner is still working after ${Math.round(timeoutMs / 1000)} s; follow it with: thalogos plan show ${sessionId} ${planId}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function onOff(value: string | boolean | undefined, flag: string): boolean {
  const text = need(value, `${flag} on|off`);
  if (text === 'on') return true;
  if (text === 'off') return false;
  throw new UsageError(`${flag} must be on or off, got ${text}`);
}

export const reviewCommands: Record<string, Command> = {
  async plan(ctx) {
    const { client, args, flags, out } = ctx;
    const sessionId = need(args[0], 'SESSION');
    const requested = await client.request<PlanReply>('POST', `${sessionPath(sessionId)}/plans`, {
      goal: need(flags.goal, '--goal'),
      ...(flags.agent ? { agent: need(flags.agent, '--agent') } : {}),
    });
    if (flags['no-wait']) {
      out.result(requested, () => `Planning ${requested.planId} with ${requested.agent}. Follow it: thalogos plan show ${sessionId} ${requested.planId}`);
      return 0;
    }
    if (!out.json) out.progress(`Planning with ${requested.agent}...`);
    const plan = await waitForPlan(ctx, sessionId, requested.planId);
    out.result(plan, () => `${formatPlan(plan)}${plan.status === 'ready' ? `\n\nEdit it in the console, then: thalogos plan approve ${sessionId} ${plan.planId}` : ''}`);
    return plan.status === 'failed' ? 1 : 0;
  },
  async 'plan show'({ client, args, out }) {
    const plan = await client.request<PlanReply>('GET', planPath(args[0], args[1]));
    out.result(plan, () => formatPlan(plan));
    return plan.status === 'failed' ? 1 : 0;
  },
  async 'plan approve'({ client, args, out }) {
    const approved = await client.request<PlanReply>('POST', `${planPath(args[0], args[1])}/approve`, {});
    const tasks = approved.tasks ?? [];
    out.result(approved, () =>
      [`Approved plan ${approved.planId}: ${plural(tasks.length, 'task')} added; each starts once the tasks it depends on are done.`, table(['TASK', 'STATUS', 'PROMPT'], tasks.map((task) => [task.id, statusWords(task.status), task.prompt.split('\n')[0] ?? '']))].join('\n'),
    );
    return 0;
  },
  async 'task approve'({ client, args, out }) {
    const task = await client.request<TaskView>('POST', `${taskPath(args[0], args[1])}/approve`, {});
    out.result(task, () => `Approved task ${task.id} at ${task.commit?.slice(0, 10) ?? 'its commit'}. A Save merges it.`);
    return 0;
  },
  async 'task request-changes'({ client, args, flags, out }) {
    // The line comments people left on the task's diff (in the console) go with the message.
    const task = await client.request<TaskView>('POST', `${taskPath(args[0], args[1])}/request-changes`, { message: str(flags.message) ?? '' });
    const round = task.review.rounds[task.review.rounds.length - 1];
    out.result(task, () => `Requested changes on task ${task.id} (round ${round?.round ?? '?'}, ${plural(round?.comments.length ?? 0, 'line comment')}); the agent works on it again: ${statusWords(task.status)}.`);
    return 0;
  },
  async 'task reapply'({ client, args, out }) {
    const task = await client.request<TaskView>('POST', `${taskPath(args[0], args[1])}/reapply`, {});
    out.result(task, () => `Task ${task.id} is re-applied on the current base branch; the next Save merges it again.`);
    return 0;
  },
  async 'task rework'({ client, args, out }) {
    const task = await client.request<TaskView>('POST', `${taskPath(args[0], args[1])}/rework`, {});
    out.result(task, () => `Task ${task.id} runs the prompt again from the current base branch (${statusWords(task.status)}).`);
    return 0;
  },
  async 'save preview'({ client, args, out }) {
    const preview = await client.request<SavePreview & { taskIds: string[]; leftOut: string[]; waiting: string[] }>('GET', `${sessionPath(args[0])}/save-preview`);
    out.result(preview, () => {
      const lines: string[] = [];
      if (preview.status === 'nothing_to_save') lines.push(preview.leftOut.length > 0 ? "Nothing to save yet: the ready tasks wait for a reviewer's approval." : 'Nothing to save: no task is ready for review with changes.');
      else if (preview.status === 'conflict' && preview.conflict) {
        lines.push(`A Save would stop on a conflict with task ${preview.conflict.taskId} (${plural(preview.conflict.summary.hunks, 'hunk')} in ${plural(preview.conflict.summary.files, 'file')}).`);
      } else lines.push(`A Save would merge ${plural(preview.mergedTaskIds.length, 'task')} cleanly: tree ${preview.tree}, ${plural(preview.diff.stats.files, 'file')} changed, +${preview.diff.stats.additions} -${preview.diff.stats.deletions}.`);
      if (preview.mergedTaskIds.length > 0) lines.push(`Merges: ${preview.mergedTaskIds.join(', ')}`);
      if (preview.leftOut.length > 0) lines.push(`Left out (not approved): ${preview.leftOut.join(', ')}`);
      if (preview.waiting.length > 0) lines.push(`Still running (a Save waits for them): ${preview.waiting.join(', ')}`);
      return lines.join('\n');
    });
    return 0;
  },
  async 'session settings'({ client, args, flags, out }) {
    const view = await client.request<SessionView>('PUT', `${sessionPath(args[0])}/settings`, { requireApproval: onOff(flags['require-approval'], '--require-approval') });
    out.result(view, () => (view.requireApproval ? 'Save now merges approved tasks only.' : 'Save merges every ready task.'));
    return 0;
  },
};
