// Required CI statuses: `.thalogos.json` `ci.requiredStatuses` names contexts that must report
// `success` on a task's commit before a Save merges it. Checked when the Save is asked for (a clear
// 409 at once) and again when it starts (tasks that became ready meanwhile), both from the session's
// recorded statuses, so a replayed session reaches the same verdict.
import type { SessionView } from '../../contracts/index.js';

export interface MissingStatus {
  taskId: string;
  commit: string;
  missing: Array<{ context: string; state: string }>;
}

/** The tasks among `taskIds` whose commit lacks a `success` for a required context. */
export function missingStatuses(view: Pick<SessionView, 'tasks' | 'ciStatuses'>, taskIds: string[], required: string[]): MissingStatus[] {
  if (required.length === 0) return [];
  const out: MissingStatus[] = [];
  for (const taskId of taskIds) {
    const commit = view.tasks.find((task) => task.id === taskId)?.commit;
    if (!commit) continue;
    const reported = view.ciStatuses[commit] ?? {};
    const missing = required
      .filter((context) => reported[context]?.state !== 'success')
      .map((context) => ({ context, state: reported[context]?.state ?? 'none' }));
    if (missing.length > 0) out.push({ taskId, commit, missing });
  }
  return out;
}

export function describeMissing(missing: MissingStatus[]): string {
  return missing
    .map((m) => `task ${m.taskId} (${m.commit.slice(0, 10)}): ${m.missing.map((s) => `${s.context} is ${s.state}`).join(', ')}`)
    .join('; ');
}
