// The plans in `session/{id}/shared` (sync/plan-document.ts): Y.Map 'plans' of planId -> Y.Array
// of Y.Map tasks. Field edits and removals are Yjs changes, so everyone editing the plan sees them
// at once; adding and moving a task create a map, which only the server may do: those go through
// the API (POST .../plans/:planId/tasks, .../tasks/:taskId/move), whose change reaches everyone the same way.
import { useEffect, useState } from 'react';
import * as Y from 'yjs';
import type { PlanTask } from '../../../contracts/plan.js';

/** A plan task as the shared document holds it (contracts/plan.ts; checked by the runtime at approval). */
export type PlanTaskDraft = PlanTask;

export type PlanField = 'title' | 'prompt' | 'acceptance' | 'dependsOn' | 'agent';

function tasksOf(doc: Y.Doc, planId: string): Y.Array<Y.Map<unknown>> | undefined {
  const value = doc.getMap('plans').get(planId);
  return value instanceof Y.Array ? (value as Y.Array<Y.Map<unknown>>) : undefined;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function readTask(map: Y.Map<unknown>): PlanTaskDraft {
  const deps = map.get('dependsOn');
  const agent = map.get('agent');
  return {
    id: text(map.get('id')), title: text(map.get('title')), prompt: text(map.get('prompt')), acceptance: text(map.get('acceptance')),
    dependsOn: Array.isArray(deps) ? deps.filter((d): d is string => typeof d === 'string') : [],
    agent: typeof agent === 'string' && agent !== '' ? agent : null,
  };
}

/** The plan's tasks as the shared document holds them now (null until the runtime seeded it). */
export function usePlanDraft(doc: Y.Doc | null, planId: string): PlanTaskDraft[] | null {
  const read = (d: Y.Doc) => tasksOf(d, planId)?.toArray().map(readTask) ?? null;
  const [value, setValue] = useState<PlanTaskDraft[] | null>(() => (doc ? read(doc) : null));
  useEffect(() => {
    if (!doc) return;
    const update = () => setValue(read(doc));
    update();
    doc.on('update', update);
    return () => doc.off('update', update);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [doc, planId]);
  return value;
}

export function setPlanField(doc: Y.Doc, planId: string, index: number, field: PlanField, value: string | string[] | null): void {
  tasksOf(doc, planId)?.get(index)?.set(field, value);
}

/** Removes a task; other tasks' dependencies on it go too, so the plan stays a valid DAG. */
export function removePlanTask(doc: Y.Doc, planId: string, index: number): void {
  const tasks = tasksOf(doc, planId);
  const removed = tasks?.get(index);
  if (!tasks || !removed) return;
  const id = text(removed.get('id'));
  doc.transact(() => {
    tasks.delete(index, 1);
    for (const m of tasks.toArray()) {
      const deps = m.get('dependsOn');
      if (Array.isArray(deps) && deps.includes(id)) m.set('dependsOn', deps.filter((d) => d !== id));
    }
  });
}
