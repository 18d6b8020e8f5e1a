// Plans in `session/{id}/shared`: Y.Map 'plans' of planId -> Y.Array of Y.Map tasks, each with the
// fields of contracts/plan.ts's PlanTask ('dependsOn' as a JSON array of ids). People edit fields
// (last writer wins per field), add, remove and reorder tasks together; the server seeds a plan
// once the planner made it and reads it back at approval (checked again there).
import * as Y from 'yjs';

export const PLANS_ROOT = 'plans';

/** A plan task as the shared document holds it (unchecked: people may have typed anything). */
export interface SharedPlanTask {
  id: string;
  title: string;
  prompt: string;
  acceptance: string;
  dependsOn: string[];
  agent: string | null;
}

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
