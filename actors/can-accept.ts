// `snapshot.can(event)` on the session only knows whether the session would forward an event to a
// live task. This also asks the task (and, for agent events, the agent), so the runtime can refuse
// a command the task would ignore (cancel of a ready task, a reject while running, ...).
import type { AnyActorRef } from 'xstate';
import { agentActorId, isAgentEvent, isTaskDirectedEvent, taskActorId } from './events.js';
import type { SessionEvent } from './events.js';

interface LiveSnapshot {
  can(event: SessionEvent): boolean;
  children: Record<string, AnyActorRef | undefined>;
  context: unknown;
}

function childOf(snapshot: LiveSnapshot, id: string): LiveSnapshot | null {
  const child = snapshot.children[id];
  return child ? (child.getSnapshot() as LiveSnapshot) : null;
}

/** Takes a live snapshot (`actor.getSnapshot()`). */
export function canAccept(snapshot: LiveSnapshot, event: SessionEvent): boolean {
  if (!snapshot.can(event)) return false;
  if (!isTaskDirectedEvent(event)) return true;
  const task = childOf(snapshot, taskActorId(event.taskId));
  if (!task || !task.can(event)) return false;
  if (!isAgentEvent(event)) return true;
  const agent = childOf(task, agentActorId(event.runId));
  return agent !== null && agent.can(event);
}
