// Plans in `session/{id}/shared`: Y.Map 'plans' of planId -> Y.Array of Y.Map tasks, each with the
// fields of contracts/plan.ts's PlanTask ('dependsOn' as a JSON array of ids). People edit fields
// (last writer wins per field) and remove tasks in the document itself; the maps are created only
// here, on the server (seed, add, move), because the author stamp refuses nested maps from
// clients (author-stamp.ts). The server reads the plan back at approval and checks it again.
import * as Y from 'yjs';
import type { PlanTask } from '../contracts/plan.js';

export const PLANS_ROOT = 'plans';

/** A plan task as the shared document holds it (read back unchecked: people may have typed anything). */
export type SharedPlanTask = PlanTask;

export function planTasksArray(doc: Y.Doc, planId: string): Y.Array<Y.Map<unknown>> | undefined {
  return doc.getMap<Y.Array<Y.Map<unknown>>>(PLANS_ROOT).get(planId);
}

export function taskMap(task: SharedPlanTask): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(task)) map.set(key, value);
  return map;
}

/** Writes the planner's plan unless the document holds one for this id already (a retried seed). */
export function seedPlan(doc: Y.Doc, planId: string, tasks: readonly SharedPlanTask[]): void {
  const plans = doc.getMap<Y.Array<Y.Map<unknown>>>(PLANS_ROOT);
  if (plans.has(planId)) return;
  doc.transact(() => {
    const array = new Y.Array<Y.Map<unknown>>();
    array.push(tasks.map(taskMap));
    plans.set(planId, array);
  });
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export function readPlanTasks(doc: Y.Doc, planId: string): SharedPlanTask[] | null {
  const array = planTasksArray(doc, planId);
  if (!array) return null;
  return array.toArray().map((m) => {
    const deps = m.get('dependsOn');
    const agent = m.get('agent');
    return {
      id: text(m.get('id')), title: text(m.get('title')), prompt: text(m.get('prompt')), acceptance: text(m.get('acceptance')),
      dependsOn: Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : [],
      agent: typeof agent === 'string' && agent !== '' ? agent : null,
    };
  });
}

/** A new, empty task at the end with an id no other task of the plan has; null without the plan. */
export function addPlanTask(doc: Y.Doc, planId: string): string | null {
  const tasks = planTasksArray(doc, planId);
  if (!tasks) return null;
  const taken = new Set(tasks.toArray().map((m) => text(m.get('id'))));
  let n = tasks.length + 1;
  while (taken.has(`task${n}`)) n += 1;
  const id = `task${n}`;
  tasks.push([taskMap({ id, title: '', prompt: '', acceptance: '', dependsOn: [], agent: null })]);
  return id;
}

/** Moves a task to index `to` (Yjs moves nothing: a copy goes in, the old one out, in one change). False when there is no such task. */
export function movePlanTask(doc: Y.Doc, planId: string, taskId: string, to: number): boolean {
  const tasks = planTasksArray(doc, planId);
  const from = tasks?.toArray().findIndex((m) => m.get('id') === taskId) ?? -1;
  const moving = from >= 0 ? tasks?.get(from) : undefined;
  if (!tasks || !moving) return false;
  const target = Math.max(0, Math.min(to, tasks.length - 1));
  if (target === from) return true;
  const copy = new Y.Map<unknown>();
  doc.transact(() => {
    for (const [key, value] of moving.entries()) copy.set(key, value);
    tasks.delete(from, 1);
    tasks.insert(target, [copy]);
  });
  return true;
}
