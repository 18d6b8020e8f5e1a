// A plan: what the planner (a language-model agent run read-only on the repository) proposes for a
// goal, people edit together, and an operator approves. Its tasks form a DAG through `dependsOn`;
// `checkPlan` is the one gate every plan passes (the planner's answer, and the edited plan at
// approval), so a bad one is a typed error, never a half-accepted plan.
import { z } from 'zod';
import { CodedErrorSchema } from './save.js';

/** A plan task's id: short, stable across edits, what `dependsOn` refers to. */
export const PlanTaskIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/, 'a task id is 1-40 letters, digits, _ . - (starting with a letter or digit)');

export const PlanTaskSchema = z.object({
  id: PlanTaskIdSchema,
  title: z.string().trim().min(1).max(200),
  /** What the agent is told to do. */
  prompt: z.string().trim().min(1).max(20_000),
  /** How a reviewer tells the task is done; handed to the agent with the prompt. */
  acceptance: z.string().max(5_000).default(''),
  dependsOn: z.array(PlanTaskIdSchema).max(50).default([]),
  /** The agent the planner suggests (an adapter id), or null: the session's order decides. */
  agent: z.string().max(40).nullable().default(null),
});
export type PlanTask = z.infer<typeof PlanTaskSchema>;

export const PlanSchema = z.object({
  summary: z.string().max(2_000).default(''),
  tasks: z.array(PlanTaskSchema).min(1).max(50),
});
export type Plan = z.infer<typeof PlanSchema>;

export const PLAN_ERROR_CODES = ['PLAN_MALFORMED', 'PLAN_DUPLICATE_TASK', 'PLAN_UNKNOWN_DEPENDENCY', 'PLAN_CYCLE'] as const;
export type PlanErrorCode = (typeof PLAN_ERROR_CODES)[number];

export type PlanCheck =
  | { ok: true; plan: Plan }
  | { ok: false; error: { code: PlanErrorCode; message: string; data: Record<string, unknown> } };

const fail = (code: PlanErrorCode, message: string, data: Record<string, unknown> = {}): PlanCheck => ({ ok: false, error: { code, message, data } });

/** Validates shape, unique ids, known dependencies and the absence of cycles. */
export function checkPlan(value: unknown): PlanCheck {
  const parsed = PlanSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
    return fail('PLAN_MALFORMED', `the plan does not match the plan schema: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, { issues });
  }
  const plan = parsed.data;
  const ids = new Set<string>();
  for (const task of plan.tasks) {
    if (ids.has(task.id)) return fail('PLAN_DUPLICATE_TASK', `two tasks have the id ${task.id}`, { taskId: task.id });
    ids.add(task.id);
  }
  for (const task of plan.tasks) {
    for (const dep of task.dependsOn) {
      if (!ids.has(dep) || dep === task.id) {
        return fail('PLAN_UNKNOWN_DEPENDENCY', dep === task.id ? `task ${task.id} depends on itself` : `task ${task.id} depends on ${dep}, which is not a task of this plan`, { taskId: task.id, dependsOn: dep });
      }
    }
  }
  const cycle = findCycle(plan.tasks);
  if (cycle) return fail('PLAN_CYCLE', `the dependencies form a cycle: ${cycle.join(' -> ')}`, { cycle });
  return { ok: true, plan };
}

/** A dependency cycle as a path whose first and last ids are equal, or null. */
function findCycle(tasks: readonly PlanTask[]): string[] | null {
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const t of tasks) {
    const found = visit(t.id);
    if (found) return found;
  }
  return null;
}

/** How a plan's task becomes an agent's prompt: the title, the instruction, the acceptance notes. */
export function planTaskPrompt(task: Pick<PlanTask, 'title' | 'prompt' | 'acceptance'>): string {
  const acceptance = task.acceptance.trim();
  return `${task.title}\n\n${task.prompt}${acceptance ? `\n\nAcceptance: ${acceptance}` : ''}`;
}

/** What people changed between the planner's plan and the approved one (on the timeline). */
export const PlanEditsSchema = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.string()),
  reordered: z.boolean(),
});
export type PlanEdits = z.infer<typeof PlanEditsSchema>;

export function planEdits(before: Plan, after: Plan): PlanEdits {
  const old = new Map(before.tasks.map((t) => [t.id, t]));
  const now = new Set(after.tasks.map((t) => t.id));
  const same = (a: PlanTask, b: PlanTask) => JSON.stringify([a.title, a.prompt, a.acceptance, a.dependsOn, a.agent]) === JSON.stringify([b.title, b.prompt, b.acceptance, b.dependsOn, b.agent]);
  const kept = after.tasks.filter((t) => old.has(t.id)).map((t) => t.id);
  const keptBefore = before.tasks.filter((t) => now.has(t.id)).map((t) => t.id);
  return {
    added: after.tasks.filter((t) => !old.has(t.id)).map((t) => t.id),
    removed: before.tasks.filter((t) => !now.has(t.id)).map((t) => t.id),
    changed: after.tasks.filter((t) => { const o = old.get(t.id); return o !== undefined && !same(o, t); }).map((t) => t.id),
    reordered: kept.join('\n') !== keptBefore.join('\n'),
  };
}

export const PlanStatusSchema = z.enum(['planning', 'ready', 'failed', 'approved']);
export type PlanStatus = z.infer<typeof PlanStatusSchema>;

/** Raw planner output kept with a plan (what the user sees when it was malformed), bounded. */
export const MAX_PLAN_RAW = 64 * 1024;

/** A plan as the session keeps it (context, view, GET .../plans/:planId). */
export const PlanRecordSchema = z.object({
  planId: z.string(),
  goal: z.string(),
  agent: z.string(),
  status: PlanStatusSchema,
  requestedAt: z.string(),
  requestedBy: z.string(),
  /** The planner's plan (before people's edits); null while planning or when it failed. */
  plan: PlanSchema.nullable(),
  error: CodedErrorSchema.nullable(),
  /** The planner's final answer as it came (redacted, bounded): kept whether it parsed or not. */
  raw: z.string().nullable(),
  finishedAt: z.string().nullable(),
  approval: z.object({
    at: z.string(), by: z.string(),
    /** The plan as approved (people's edits applied). */
    plan: PlanSchema,
    /** Plan task id -> session task id. */
    taskIds: z.record(z.string(), z.string()),
    edits: PlanEditsSchema,
  }).nullable(),
});
export type PlanRecord = z.infer<typeof PlanRecordSchema>;
