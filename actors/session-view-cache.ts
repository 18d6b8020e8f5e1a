// The session view kept between requests. `describeSession` rebuilds and deep-copies every task
// on each call, so an API answer cost grew with the session (5,000 tasks: every POST paid for all
// of them). Here a task's view is rebuilt only when one of the snapshots it is read from changed
// (XState snapshots are immutable: a new object means a change), and the session view only after
// the host says an event was applied. Views handed out are frozen and shared: callers read them.
import { sessionViewWith, taskViewSources, describeTask, type SnapshotLike } from './describe-session.js';
import type { SessionContext } from './session.machine.js';
import type { SessionView, TaskView } from '../contracts/index.js';

interface CachedTask {
  sources: unknown[];
  view: TaskView;
}

export class SessionViewCache {
  private current: { snapshot: unknown; view: SessionView } | null = null;
  private readonly tasks = new Map<string, CachedTask>();

  /** An event was applied: the next `view` rebuilds what changed. */
  invalidate(): void {
    this.current = null;
  }

  /** The view of this snapshot (live or persisted), the same object until something changes. */
  view(snapshot: unknown): SessionView {
    const current = this.current;
    if (current !== null && current.snapshot === snapshot) return current.view;
    const seen = new Set<string>();
    const built = sessionViewWith(snapshot, (session, id) => {
      seen.add(id);
      return this.task(session, id);
    });
    // Tasks never leave a session today; should one, its cached view goes with it.
    if (this.tasks.size > seen.size) for (const id of this.tasks.keys()) if (!seen.has(id)) this.tasks.delete(id);
    // The session's own fields are small (tasks aside): copied from the context on each rebuild.
    const view = deepFreeze({ ...structuredClone({ ...built, tasks: [] }), tasks: built.tasks });
    this.current = { snapshot, view };
    return view;
  }

  private task(session: SnapshotLike<SessionContext>, id: string): TaskView {
    const sources = taskViewSources(session, id);
    const cached = this.tasks.get(id);
    if (cached && sameItems(cached.sources, sources)) return cached.view;
    const view = deepFreeze(structuredClone(describeTask(session, id)));
    this.tasks.set(id, { sources, view });
    return view;
  }
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Freezes a plain-JSON value in place (frozen parts, e.g. cached task views, are skipped). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
