// The root actor of a session. The runtime sends every event here; task-directed events are
// forwarded to `task:<taskId>`, and tasks report status changes back with TASK.STATUS, so the
// dispatch decision below is a function of this context alone.
import { assign, enqueueActions, sendTo, setup, spawnChild } from 'xstate';
import type { StartPromotionParams, StartRollbackParams, StartSaveParams } from './effect-params.js';
import { taskActorId } from './events.js';
import type {
  SessionEvent,
  TaskAddEvent,
  TaskStatus,
  TaskStatusEvent,
  AgentEventsBatch,
} from './events.js';
import { FINAL_TASK_STATUSES, taskMachine } from './task.machine.js';
import { leftOutUnapproved, mergeable, revertedByRestore } from './review.js';
import * as review from './session-review.js';

export type { Checkpoint, PendingPromotion, PendingRollback, PendingSave, RollbackRecord, SaveRecord, SessionInput, TimelineEntry } from '../contracts/index.js';
import type { TaskReverted } from '../contracts/index.js';
import type { Checkpoint, CiStatus, PendingPermission, PendingPromotion, PendingRollback, PendingSave, PromotionRecord, RollbackRecord, SaveRecord, SessionInput, TimelineEntry } from '../contracts/index.js';
import type { PlanRecord } from '../contracts/plan.js';
import * as plans from './session-plans.js';
import { dependenciesReady } from './session-plans.js';

export interface SessionContext extends SessionInput {
  /** Task ids in creation order; dispatch and Save follow this order. */
  taskOrder: string[];
  taskStatus: Record<string, TaskStatus>;
  /** Last commit each task reported (null before its commit, or when nothing changed). */
  taskCommits: Record<string, string | null>;
  checkpoints: Checkpoint[];
  timeline: TimelineEntry[];
  lastSave: SaveRecord | null;
  pendingSave: PendingSave | null;
  pendingRollback: PendingRollback | null;
  /** CI verdicts per commit and context (absent in snapshots from before CI statuses). */
  ciStatuses?: Record<string, Record<string, CiStatus>>;
  /** Promotions waiting for approvals or running (absent in snapshots from before promotions). */
  pendingPromotions?: PendingPromotion[];
  /** ACP permission requests not answered yet (absent in snapshots from before ACP). */
  pendingPermissions?: PendingPermission[];
  /** taskId -> the commit a reviewer approved (absent in snapshots from before the review loop). */
  approvals?: Record<string, string>;
  /** Merged tasks whose work a rollback took off the base branch. */
  reverted?: Record<string, TaskReverted>;
  /** Plans asked for, oldest first (absent in snapshots from before plans). */
  plans?: PlanRecord[];
  /** Session task ids each task starts after (only tasks that have dependencies; absent before plans). */
  taskDeps?: Record<string, string[]>;
  /** The plan each planned task came from. */
  taskPlans?: Record<string, string>;
}

/** Statuses that hold a slot (count against maxParallel). */
const SLOT_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['preparing', 'running', 'committing']);
/** Statuses a Save must wait for: work that may still change a task branch. */
const BUSY_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>([
  'preparing',
  'running',
  'committing',
  'retry_wait',
]);

type SessionMachineEvent = SessionEvent | TaskStatusEvent | AgentEventsBatch;

/** The task's agent order: the requested agent first, then the task's (or session's) order. */
export function resolveAgentOrder(event: TaskAddEvent, sessionOrder: string[]): string[] {
  const base = event.agentOrder.length > 0 ? event.agentOrder : sessionOrder;
  const ordered = event.agent ? [event.agent, ...base] : [...base];
  return ordered.filter((agent, index) => ordered.indexOf(agent) === index);
}

/**
 * Tasks a Save would merge, in creation order: ready for review with a commit (only approved ones
 * under `requireApproval`), and merged tasks queued to be re-applied after a rollback.
 */
export function saveCandidates(context: SessionContext): string[] {
  return mergeable(context);
}

function hasBusyTasks(context: SessionContext): boolean {
  return context.taskOrder.some((id) => {
    const status = context.taskStatus[id];
    return status !== undefined && BUSY_STATUSES.has(status);
  });
}

function eventTaskId(event: SessionMachineEvent): string | null {
  return 'taskId' in event ? event.taskId : null;
}

const forward = { guard: 'isLiveTask', actions: 'forwardToTask' } as const;

/** What active and awaiting_review share: people keep adding tasks, dispatch runs, Save may start. */
const WORKING_HANDLERS = {
  'TASK.ADD': { guard: 'canAddTask', actions: ['addTask', 'spawnTask', 'dispatch'] },
  'TASK.STATUS': { actions: ['recordStatus', 'dispatch'] },
  'SAVE.REQUEST': [
    // Chosen tasks are merged at once: the others may keep running, they are not part of this Save.
    { guard: 'canSaveChosen', target: '#session.saving', actions: 'requestSave' },
    { guard: 'canSaveNow', target: '#session.saving', actions: 'requestSave' },
    { guard: 'canSaveAfterDrain', target: '#session.frozen', actions: 'requestSave' },
  ],
  'ROLLBACK.REQUEST': {
    guard: 'noRollbackPending',
    actions: ['requestRollback', { type: 'startRollback', params: rollbackParams }],
  },
  'TASK.REAPPLY': { guard: 'canReapply', actions: 'recordReapply' },
  'PLAN.APPROVE': { guard: 'canApprovePlan', actions: ['approvePlan', 'dispatch'] },
} as const;

export const sessionMachine = setup({
  types: {} as {
    context: SessionContext;
    input: SessionInput;
    events: SessionMachineEvent;
  },
  actors: {
    task: taskMachine,
  },
  actions: {
    // Effects: no-ops here (replay mode); the runtime provides the real ones.
    startSave: (_: unknown, _params: StartSaveParams) => {},
    startRollback: (_: unknown, _params: StartRollbackParams) => {},
    startPromotion: (_: unknown, _params: StartPromotionParams) => {},

    recordApproval: assign(({ context, event }) => review.approval(context, event)),
    recordChangesRequest: assign(({ context, event }) => review.changesRequest(context, event)),
    recordRejection: assign(({ context, event }) => review.rejection(context, event)),
    recordSettings: assign(({ context, event }) => review.settings(context, event)),
    recordReapply: assign(({ context, event }) => review.reapply(context, event)),
    carryApproval: assign(({ context, event }) => review.carryApproval(context, event)),
    markReapplied: assign(({ context, event }) => review.reapplied(context, event)),
    addTask: assign(({ context, event }) => {
      if (event.type !== 'TASK.ADD') return {};
      return {
        ...(event.reworkOf ? markReworked(context, event.reworkOf, event.taskId, event.by, event.at) : {}),
        taskOrder: [...context.taskOrder, event.taskId],
        taskStatus: { ...context.taskStatus, [event.taskId]: 'queued' as const },
        taskCommits: { ...context.taskCommits, [event.taskId]: null },
        ...(event.dependsOn?.length ? { taskDeps: { ...context.taskDeps, [event.taskId]: event.dependsOn } } : {}),
      };
    }),
    spawnTask: spawnChild('task', {
      id: ({ event }) => taskActorId(eventTaskId(event) ?? ''),
      input: ({ context, event }) => {
        const add = event as TaskAddEvent;
        return {
          sessionId: context.sessionId,
          taskId: add.taskId,
          prompt: add.prompt,
          agentOrder: resolveAgentOrder(add, context.agentOrder),
          createdAt: add.at,
          createdBy: add.by,
          timeoutMs: context.taskTimeoutMs,
          maxRetries: context.maxRetries,
          reworkOf: add.reworkOf ?? null,
        };
      },
    }),
    recordStatus: assign(({ context, event }) => {
      if (event.type !== 'TASK.STATUS') return {};
      return {
        taskStatus: { ...context.taskStatus, [event.taskId]: event.status },
        taskCommits: { ...context.taskCommits, [event.taskId]: event.commit },
      };
    }),
    /**
     * Starts the oldest queued tasks while slots are free. The status is set to preparing here,
     * not when the task's TASK.STATUS arrives, so the same task is never dispatched twice.
     */
    dispatch: enqueueActions(({ context, enqueue }) => {
      let used = context.taskOrder.filter((id) => {
        const status = context.taskStatus[id];
        return status !== undefined && SLOT_STATUSES.has(status);
      }).length;
      const started: string[] = [];
      for (const id of context.taskOrder) {
        if (used >= context.maxParallel) break;
        if (context.taskStatus[id] !== 'queued') continue;
        // A planned task waits until every task it depends on is ready (its work is committed).
        if (!dependenciesReady(context, id)) continue;
        started.push(id);
        used += 1;
      }
      if (started.length === 0) return;
      const taskStatus = { ...context.taskStatus };
      for (const id of started) taskStatus[id] = 'preparing';
      enqueue.assign({ taskStatus });
      for (const id of started) enqueue.sendTo(taskActorId(id), { type: 'TASK.DISPATCH', taskId: id });
    }),
    forwardToTask: sendTo(
      ({ event }) => taskActorId(eventTaskId(event) ?? ''),
      ({ event }) => event,
    ),
    recordConflictResolved: assign(({ context, event }) => {
      if (event.type !== 'TASK.CONFLICT_RESOLVED') return {};
      const entry = { kind: 'conflict_resolved' as const, taskId: event.taskId, saveId: event.saveId, commit: event.commit, at: event.at, by: event.by };
      return { timeline: [...context.timeline, entry] };
    }),

    requestSave: assign(({ context, event }) => {
      if (event.type !== 'SAVE.REQUEST') return {};
      return {
        pendingSave: event.taskIds
          ? { saveId: event.saveId, requestedAt: event.at, requestedBy: event.by, phase: 'started', taskIds: context.taskOrder.filter((id) => event.taskIds?.includes(id)), chosen: true }
          : { saveId: event.saveId, requestedAt: event.at, requestedBy: event.by, phase: 'draining', taskIds: [] },
      };
    }),
    selectSaveTasks: assign(({ context }) => {
      if (!context.pendingSave || context.pendingSave.chosen) return {};
      const leftOut = leftOutUnapproved(context);
      return { pendingSave: { ...context.pendingSave, phase: 'started', taskIds: saveCandidates(context), ...(leftOut.length > 0 ? { leftOut } : {}) } };
    }),
    recordCiStatus: assign(({ context, event }) => {
      if (event.type !== 'CI.STATUS') return {};
      const all = context.ciStatuses ?? {};
      const status: CiStatus = { state: event.state, url: event.url, description: event.description, at: event.at, by: event.by };
      return { ciStatuses: { ...all, [event.commit]: { ...(all[event.commit] ?? {}), [event.context]: status } } };
    }),
    recordSaveProgress: assign(({ context, event }) => {
      if (event.type !== 'SAVE.PROGRESS' || !context.pendingSave) return {};
      const { gate: _previous, ...pending } = context.pendingSave;
      return { pendingSave: { ...pending, phase: event.phase, ...(event.gate ? { gate: event.gate } : {}) } };
    }),
    completeSave: assign(({ context, event }) => {
      if (event.type !== 'SAVE.COMPLETED' || !context.pendingSave) return {};
      const pending = context.pendingSave;
      const record: SaveRecord = {
        saveId: pending.saveId,
        requestedAt: pending.requestedAt,
        requestedBy: pending.requestedBy,
        completedAt: event.at,
        taskIds: pending.taskIds,
        result: event.result,
        ...(pending.leftOut ? { leftOut: pending.leftOut } : {}),
      };
      const checkpoints =
        event.result.status === 'published'
          ? [
              ...context.checkpoints,
              {
                tag: event.result.tag,
                commit: event.result.commit,
                at: event.at,
                saveId: pending.saveId,
                mergedTaskIds: event.result.mergedTaskIds,
              },
            ]
          : context.checkpoints;
      return {
        checkpoints,
        timeline: [...context.timeline, { kind: 'save' as const, ...record }],
        lastSave: record,
        pendingSave: null,
      };
    }),
    /** Only tasks still ready for review are marked merged; anything else was not in the Save. */
    markMerged: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SAVE.COMPLETED' || event.result.status !== 'published') return;
      for (const id of event.result.mergedTaskIds) {
        if (context.taskStatus[id] !== 'ready_for_review') continue;
        enqueue.sendTo(taskActorId(id), {
          type: 'TASK.MERGED',
          taskId: id,
          saveId: event.saveId,
          tag: event.result.tag,
          at: event.at,
        });
      }
    }),

    requestRollback: assign(({ event }) => {
      if (event.type !== 'ROLLBACK.REQUEST') return {};
      return {
        pendingRollback: {
          rollbackId: event.rollbackId,
          checkpoint: event.checkpoint,
          mode: event.mode,
          requestedAt: event.at,
          requestedBy: event.by,
        },
      };
    }),
    completeRollback: assign(({ context, event }) => {
      if (event.type !== 'ROLLBACK.COMPLETED' || !context.pendingRollback) return {};
      const record: RollbackRecord = { ...context.pendingRollback, completedAt: event.at, result: event.result };
      const timeline: TimelineEntry[] = [...context.timeline, { kind: 'rollback' as const, ...record }];
      // A restore commit sets the base branch's tree back: work merged after the checkpoint is off it.
      if (event.result.status !== 'completed' || event.result.mode === 'branch') return { timeline, pendingRollback: null };
      const { rollbackId, checkpoint } = context.pendingRollback;
      const off = revertedByRestore(context, checkpoint);
      const before = context.reverted ?? {};
      const reverted: Record<string, TaskReverted> = {};
      for (const id of off) reverted[id] = before[id] ?? { rollbackId, checkpoint, at: event.at, reapply: null, reworkedAs: null };
      if (off.length > 0) timeline.push({ kind: 'tasks_reverted', rollbackId, checkpoint, taskIds: off, at: event.at });
      return { timeline, pendingRollback: null, reverted };
    }),
    requestPromotion: assign(({ context, event }) => {
      if (event.type !== 'PROMOTION.REQUEST') return {};
      const pending: PendingPromotion = {
        promotionId: event.promotionId, checkpoint: event.checkpoint, environment: event.environment,
        requestedAt: event.at, requestedBy: event.by, required: event.required, approvals: [],
        state: event.required === null ? 'running' : 'awaiting_approval',
      };
      return { pendingPromotions: [...(context.pendingPromotions ?? []), pending] };
    }),
    approvePromotion: assign(({ context, event }) => {
      if (event.type !== 'PROMOTION.APPROVE') return {};
      return {
        pendingPromotions: (context.pendingPromotions ?? []).map((p) => {
          if (p.promotionId !== event.promotionId) return p;
          const approvals = [...p.approvals, { by: event.by, at: event.at }];
          return { ...p, approvals, state: approvals.length >= (p.required?.count ?? 0) ? 'running' as const : p.state };
        }),
      };
    }),
    completePromotion: assign(({ context, event }) => {
      if (event.type !== 'PROMOTION.COMPLETED') return {};
      const pending = (context.pendingPromotions ?? []).find((p) => p.promotionId === event.promotionId);
      if (!pending) return {};
      const { state: _state, ...rest } = pending;
      const record: PromotionRecord = { ...rest, completedAt: event.at, result: event.result };
      return {
        pendingPromotions: (context.pendingPromotions ?? []).filter((p) => p.promotionId !== event.promotionId),
        timeline: [...context.timeline, { kind: 'promotion' as const, ...record }],
      };
    }),
    recordEnvironmentRollback: assign(({ context, event }) => {
      if (event.type !== 'ENVIRONMENT.ROLLED_BACK') return {};
      const { type: _type, ...record } = event;
      return { timeline: [...context.timeline, { kind: 'environment_rollback' as const, ...record }] };
    }),
    requestPlan: assign(({ context, event }) => (event.type === 'PLAN.REQUEST' ? plans.requestPlan(context, event) : {})),
    finishPlan: assign(({ context, event }) => (event.type === 'PLAN.CREATED' || event.type === 'PLAN.FAILED' ? plans.finishPlan(context, event) : {})),
    /** Adds the approved plan's tasks in plan order, like a TASK.ADD each, with their dependencies. */
    approvePlan: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'PLAN.APPROVE') return;
      const ids = event.tasks.map((t) => t.taskId);
      enqueue.assign({
        ...plans.approvePlan(context, event),
        taskOrder: [...context.taskOrder, ...ids],
        taskStatus: { ...context.taskStatus, ...Object.fromEntries(ids.map((id) => [id, 'queued' as const])) },
        taskCommits: { ...context.taskCommits, ...Object.fromEntries(ids.map((id) => [id, null])) },
      });
      for (const t of event.tasks) {
        enqueue.spawnChild('task', {
          id: taskActorId(t.taskId),
          input: {
            sessionId: context.sessionId, taskId: t.taskId, prompt: t.prompt, agentOrder: t.agentOrder,
            createdAt: event.at, createdBy: event.by, timeoutMs: context.taskTimeoutMs, maxRetries: context.maxRetries,
          },
        });
      }
    }),
    // ACP steering (issue 13): requests wait here until answered; answers and messages go on the timeline.
    recordPermissionRequested: assign(({ context, event }) => {
      if (event.type !== 'AGENT.PERMISSION_REQUESTED') return {};
      const { taskId, runId, request, expiresAt, at } = event;
      return { pendingPermissions: [...(context.pendingPermissions ?? []), { taskId, runId, request, expiresAt, at }] };
    }),
    recordPermissionDecided: assign(({ context, event }) => {
      if (event.type !== 'AGENT.PERMISSION_DECIDED') return {};
      const asked = (context.pendingPermissions ?? []).find((p) => p.request.requestId === event.requestId);
      const entry = { kind: 'permission' as const, taskId: event.taskId, runId: event.runId, requestId: event.requestId, title: asked?.request.title ?? event.requestId,
        decision: event.decision, reason: event.reason, at: event.at, by: event.by };
      return { pendingPermissions: (context.pendingPermissions ?? []).filter((p) => p.request.requestId !== event.requestId), timeline: [...context.timeline, entry] };
    }),
    recordAgentMessage: assign(({ context, event }) => {
      if (event.type !== 'AGENT.MESSAGE') return {};
      const entry = { kind: 'agent_message' as const, taskId: event.taskId, runId: event.runId, text: event.text, delivery: event.delivery, at: event.at, by: event.by };
      return { timeline: [...context.timeline, entry] };
    }),
    recordReviewResume: assign(({ context, event }) => {
      if (event.type !== 'REVIEW.RESUME') return {};
      return { timeline: [...context.timeline, { kind: 'review_resumed' as const, at: event.at, by: event.by }] };
    }),
  },
  guards: {
    isReadyTask: ({ context, event }) => 'taskId' in event && context.taskStatus[event.taskId] === 'ready_for_review',
    canApprove: ({ context, event }) =>
      event.type === 'TASK.APPROVE' && context.taskStatus[event.taskId] === 'ready_for_review' && context.taskCommits[event.taskId] === event.commit,
    canReapply: ({ context, event }) => event.type === 'TASK.REAPPLY' && isOpenReverted(context, event.taskId),
    canRequestPlan: ({ context, event }) => event.type === 'PLAN.REQUEST' && plans.canRequestPlan(context, event),
    isPlanning: ({ context, event }) => (event.type === 'PLAN.CREATED' || event.type === 'PLAN.FAILED') && plans.isPlanning(context, event),
    canApprovePlan: ({ context, event }) => event.type === 'PLAN.APPROVE' && plans.canApprovePlan(context, event),
    isLiveTask: ({ context, event }) => {
      const id = eventTaskId(event);
      if (id === null) return false;
      const status = context.taskStatus[id];
      // Final tasks are stopped actors: events for them are refused rather than sent into the void.
      return status !== undefined && !FINAL_TASK_STATUSES.has(status);
    },
    canAddTask: ({ context, event }) =>
      event.type === 'TASK.ADD' &&
      !(event.taskId in context.taskStatus) &&
      resolveAgentOrder(event, context.agentOrder).length > 0 &&
      // A rework of reverted work: once per reverted task, and not beside a queued re-apply.
      (event.reworkOf === undefined || isOpenReverted(context, event.reworkOf)),
    canSaveChosen: ({ context, event }) => {
      if (event.type !== 'SAVE.REQUEST' || !event.taskIds || context.pendingRollback !== null) return false;
      const ready = new Set(saveCandidates(context));
      return event.taskIds.every((id) => ready.has(id));
    },
    canSaveNow: ({ context, event }) => event.type === 'SAVE.REQUEST' && !event.taskIds && context.pendingRollback === null && !hasBusyTasks(context),
    canSaveAfterDrain: ({ context, event }) => event.type === 'SAVE.REQUEST' && !event.taskIds && context.pendingRollback === null && hasBusyTasks(context),
    drained: ({ context }) => !hasBusyTasks(context),
    isPendingSave: ({ context, event }) => 'saveId' in event && event.saveId === context.pendingSave?.saveId,
    savePublished: ({ context, event }) =>
      event.type === 'SAVE.COMPLETED' &&
      event.saveId === context.pendingSave?.saveId &&
      (event.result.status === 'published' || event.result.status === 'nothing_to_save'),
    noRollbackPending: ({ context }) => context.pendingRollback === null,
    /** One promotion per environment at a time, and ids are never reused. */
    canRequestPromotion: ({ context, event }) =>
      event.type === 'PROMOTION.REQUEST' &&
      !(context.pendingPromotions ?? []).some((p) => p.environment === event.environment || p.promotionId === event.promotionId),
    /** A member other than the requester, who has not approved yet, approves a promotion waiting for approvals. */
    canApprovePromotion: ({ context, event }) => {
      if (event.type !== 'PROMOTION.APPROVE') return false;
      const p = (context.pendingPromotions ?? []).find((c) => c.promotionId === event.promotionId);
      return p !== undefined && p.state === 'awaiting_approval' && p.requestedBy !== event.by && !p.approvals.some((a) => a.by === event.by);
    },
    isRunningPromotion: ({ context, event }) =>
      event.type === 'PROMOTION.COMPLETED' && (context.pendingPromotions ?? []).some((p) => p.promotionId === event.promotionId && p.state === 'running'),
    isPendingRollback: ({ context, event }) =>
      event.type === 'ROLLBACK.COMPLETED' && event.rollbackId === context.pendingRollback?.rollbackId,
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    ...input,
    taskOrder: [],
    taskStatus: {},
    taskCommits: {},
    checkpoints: [],
    timeline: [],
    lastSave: null,
    pendingSave: null,
    pendingRollback: null,
    ciStatuses: {},
    pendingPromotions: [],
    plans: [],
    taskDeps: {},
    taskPlans: {},
  }),
  initial: 'idle',
  on: {
    // Task-directed events go to their task; unknown or finished tasks leave them unhandled.
    'TASK.WORKTREE_READY': forward,
    'TASK.WORKTREE_FAILED': forward,
    'TASK.SETUP_STARTED': forward,
    'TASK.SETUP_OUTPUT': forward,
    'TASK.SETUP_FAILED': forward,
    'TASK.COMMITTED': forward,
    'TASK.COMMIT_FAILED': forward,
    'TASK.RETRY_DUE': forward,
    'TASK.CANCEL': forward,
    'TASK.REJECT': { guard: 'isLiveTask', actions: ['forwardToTask', 'recordRejection'] },
    'TASK.APPROVE': { guard: 'canApprove', actions: ['forwardToTask', 'recordApproval'] },
    'TASK.REQUEST_CHANGES': { guard: 'isReadyTask', actions: ['forwardToTask', 'recordChangesRequest'] },
    'SESSION.SETTINGS': { actions: 'recordSettings' },
    'TASK.REWORK': forward,
    'TASK.INTERRUPT': forward,
    'TASK.REQUEUE': forward,
    'TASK.CONFLICT_RESOLVED': { guard: 'isLiveTask', actions: ['forwardToTask', 'recordConflictResolved', 'carryApproval'] },
    'AGENT.STARTED': forward,
    'AGENT.EVENT': forward,
    'AGENT.EVENTS': forward,
    'AGENT.RESUMABLE': forward,
    'AGENT.EXITED': forward,
    'AGENT.TIMEOUT': forward,
    'AGENT.CANCEL': forward,
    'TASK.STATUS': { actions: 'recordStatus' },
    'ROLLBACK.COMPLETED': { guard: 'isPendingRollback', actions: 'completeRollback' },
    // A CI verdict is recorded in every state: CI reports whenever it is done.
    'CI.STATUS': { actions: 'recordCiStatus' },
    // Promotions work on checkpoint tags and release/* branches, not on the session's tasks: they
    // are accepted in every state (the engine's repository mutex orders them with Saves).
    'PROMOTION.REQUEST': { guard: 'canRequestPromotion', actions: ['requestPromotion', enqueueActions(({ context, event, enqueue }) => startIfRunning(context, event, enqueue))] },
    'PROMOTION.APPROVE': { guard: 'canApprovePromotion', actions: ['approvePromotion', enqueueActions(({ context, event, enqueue }) => startIfRunning(context, event, enqueue))] },
    'PROMOTION.COMPLETED': { guard: 'isRunningPromotion', actions: 'completePromotion' },
    'ENVIRONMENT.ROLLED_BACK': { actions: 'recordEnvironmentRollback' },
    // Planning only reads the repository: it is accepted in every state, like a promotion.
    'PLAN.REQUEST': { guard: 'canRequestPlan', actions: 'requestPlan' },
    'PLAN.CREATED': { guard: 'isPlanning', actions: 'finishPlan' },
    'PLAN.FAILED': { guard: 'isPlanning', actions: 'finishPlan' },
    'AGENT.PERMISSION_REQUESTED': { actions: 'recordPermissionRequested' },
    'AGENT.PERMISSION_DECIDED': { actions: 'recordPermissionDecided' },
    'AGENT.MESSAGE': { actions: 'recordAgentMessage' },
  },
  states: {
    idle: {
      on: {
        'TASK.ADD': { guard: 'canAddTask', target: 'active', actions: ['addTask', 'spawnTask'] },
        'PLAN.APPROVE': { guard: 'canApprovePlan', target: 'active', actions: 'approvePlan' },
        'ROLLBACK.REQUEST': WORKING_HANDLERS['ROLLBACK.REQUEST'],
      },
    },
    active: {
      entry: 'dispatch',
      on: WORKING_HANDLERS,
    },
    // Dispatch stops; the Save starts once nothing can change a task branch any more.
    frozen: {
      always: { guard: 'drained', target: 'saving' },
      // Sending a task back to work would keep the Save from ever draining.
      on: { 'TASK.REWORK': {}, 'TASK.REQUEST_CHANGES': {}, 'TASK.CONFLICT_RESOLVED': {} },
    },
    saving: {
      entry: [
        'selectSaveTasks',
        {
          type: 'startSave',
          params: ({ context }) => ({
            sessionId: context.sessionId,
            saveId: context.pendingSave?.saveId ?? '',
            taskIds: context.pendingSave?.taskIds ?? [],
          }),
        },
      ],
      on: {
        'SAVE.PROGRESS': { guard: 'isPendingSave', actions: 'recordSaveProgress' },
        'SAVE.COMPLETED': [
          { guard: 'savePublished', target: 'active', actions: ['markMerged', 'markReapplied', 'completeSave'] },
          { guard: 'isPendingSave', target: 'awaiting_review', actions: 'completeSave' },
        ],
        // A task being merged cannot be rejected or reworked under the Save's feet.
        'TASK.REJECT': {},
        'TASK.REWORK': {},
        'TASK.REQUEST_CHANGES': {},
        'TASK.CONFLICT_RESOLVED': {},
      },
    },
    awaiting_review: {
      entry: 'dispatch',
      on: {
        ...WORKING_HANDLERS,
        'REVIEW.RESUME': { target: 'active', actions: 'recordReviewResume' },
      },
    },
  },
});

/** After a request or an approval: the promotion starts when it needs no (more) approvals. */
function startIfRunning(
  context: SessionContext,
  event: SessionMachineEvent,
  enqueue: { (action: { type: 'startPromotion'; params: StartPromotionParams }): void },
): void {
  if (event.type !== 'PROMOTION.REQUEST' && event.type !== 'PROMOTION.APPROVE') return;
  const p = (context.pendingPromotions ?? []).find((c) => c.promotionId === event.promotionId);
  if (!p || p.state !== 'running') return;
  enqueue({ type: 'startPromotion', params: { sessionId: context.sessionId, promotionId: p.promotionId, checkpoint: p.checkpoint, environment: p.environment } });
}

/** A reverted task nobody has re-applied or reworked yet. */
export function isOpenReverted(context: SessionContext, taskId: string): boolean {
  const mark = context.reverted?.[taskId];
  return mark !== undefined && mark.reapply === null && mark.reworkedAs === null;
}

function markReworked(context: SessionContext, original: string, taskId: string, by: string, at: string): Partial<SessionContext> {
  const mark = context.reverted?.[original];
  if (!mark) return {};
  return {
    reverted: { ...context.reverted, [original]: { ...mark, reworkedAs: taskId } },
    timeline: [...context.timeline, { kind: 'task_reapply', taskId: original, action: 'rework', by, at, newTaskId: taskId, saveId: null }],
  };
}

function rollbackParams({ context }: { context: SessionContext }): StartRollbackParams {
  const pending = context.pendingRollback;
  return {
    sessionId: context.sessionId,
    rollbackId: pending?.rollbackId ?? '',
    checkpoint: pending?.checkpoint ?? '',
    mode: pending?.mode ?? 'restore_commit',
  };
}
