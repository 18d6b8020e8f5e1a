import type { SessionEvent } from '../../actors/index.js';
import type { PermissionAsker, PermissionDecision, PermissionOption, RunControl } from '../../adapters/index.js';
import type { Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import type { ActorRef } from '../log/log-entry.js';

type Record = (event: SessionEvent, actor?: ActorRef) => Promise<void>;

interface LiveRun {
  sessionId: string;
  taskId: string;
  runId: string;
  control: RunControl;
  record: Record;
}

interface Pending {
  sessionId: string;
  taskId: string;
  runId: string;
  /** The options the agent offered, by id. */
  options: Map<string, PermissionOption['kind']>;
  settle(decision: PermissionDecision, by: string, actor?: ActorRef): void;
}

/**
 * People steering live ACP runs (issue 13): their messages to the agent, and the answers to the
 * agent's permission requests. One per server; the runs register here while they are live. Every
 * question and answer is an actor event (who asked, who decided), recorded in the session's log
 * before the agent hears the answer.
 */
export class AcpSteering {
  private readonly runs = new Map<string, LiveRun>();
  private readonly pending = new Map<string, Pending>();

  /** `timeoutMs`: how long a request waits for a person (config `adapters.permissionTimeoutMs`). */
  constructor(private readonly opts: { clock: Clock; timeoutMs: number }) {}

  /**
   * The asker handed to the adapter for one run. A request is recorded, then waits for `decide`;
   * unanswered after the timeout (the injected clock's), or when the turn or the run ends first,
   * it is denied and that is recorded too.
   */
  asker(sessionId: string, taskId: string, runId: string, record: Record): PermissionAsker {
    return (request, signal) => new Promise<PermissionDecision>((resolve) => {
      const { timeoutMs } = this.opts;
      const now = this.opts.clock.now();
      let done = false;
      const settle = (decision: PermissionDecision, by: string, actor?: ActorRef): void => {
        if (done) return;
        done = true;
        this.opts.clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.pending.delete(request.requestId);
        const optionId = decision.outcome === 'selected' ? decision.optionId : null;
        const allowed = decision.outcome === 'selected' && this.pendingKind(request.options, decision.optionId) === 'allow';
        const reason = decision.outcome === 'denied' ? decision.reason : null;
        // Recorded first: the agent hears the answer only once the log holds who gave it.
        void record({ type: 'AGENT.PERMISSION_DECIDED', taskId, runId, requestId: request.requestId, decision: allowed ? 'allowed' : 'denied',
          optionId, reason, by, at: this.opts.clock.now().toISOString() }, actor).finally(() => resolve(decision));
      };
      const timer = this.opts.clock.setTimeout(() => settle({ outcome: 'denied', reason: `nobody answered within ${Math.round(timeoutMs / 1000)} s` }, 'timeout'), timeoutMs);
      const onAbort = (): void => settle({ outcome: 'denied', reason: 'the agent\'s turn ended before anyone answered' }, 'thalogos');
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(request.requestId, {
        sessionId, taskId, runId, settle,
        options: new Map(request.options.map((o) => [o.optionId, o.kind])),
      });
      void record({ type: 'AGENT.PERMISSION_REQUESTED', taskId, runId, request,
        expiresAt: new Date(now.getTime() + timeoutMs).toISOString(), at: now.toISOString() });
      if (signal.aborted) onAbort();
    });
  }

  /** A person answers a pending request: allow (an allow option) or deny (a reject option, or none). */
  decide(sessionId: string, requestId: string, answer: { decision: 'allow' | 'deny'; optionId?: string | undefined; reason?: string | undefined }, by: string, actor: ActorRef): void {
    const p = this.pending.get(requestId);
    if (!p || p.sessionId !== sessionId) throw new ApiError('PERMISSION_NOT_FOUND', `no pending permission request ${requestId} in session ${sessionId}`, { requestId });
    const wanted = answer.decision === 'allow' ? 'allow' : 'reject';
    let optionId = answer.optionId;
    if (optionId !== undefined && !p.options.get(optionId)?.startsWith(wanted)) {
      throw new ApiError('PERMISSION_OPTION_INVALID', `option ${optionId} is not an ${answer.decision} option of request ${requestId}`, { requestId, options: [...p.options.keys()] });
    }
    // Without a choice: the agent's "once" option, so its next such tool call asks again.
    const byKind = (kind: PermissionOption['kind']): string | undefined => [...p.options].find(([, k]) => k === kind)?.[0];
    optionId ??= byKind(`${wanted}_once`) ?? byKind(`${wanted}_always`);
    if (answer.decision === 'allow') {
      if (optionId === undefined) throw new ApiError('PERMISSION_OPTION_INVALID', `request ${requestId} offers no allow option`, { requestId });
      p.settle({ outcome: 'selected', optionId }, by, actor);
    } else {
      p.settle({ outcome: 'denied', reason: answer.reason ?? `denied by ${by}` }, by, actor);
    }
  }

  register(run: LiveRun): void {
    this.runs.set(run.runId, run);
  }

  unregister(runId: string): void {
    this.runs.delete(runId);
  }

  /** A person's message to the task's live ACP run; recorded as theirs once the agent took it. */
  async message(sessionId: string, taskId: string, text: string, interrupt: boolean, by: string, actor: ActorRef): Promise<{ runId: string; delivery: 'next_turn' | 'interrupt' }> {
    const run = [...this.runs.values()].find((r) => r.sessionId === sessionId && r.taskId === taskId);
    if (!run) throw new ApiError('RUN_NOT_STEERABLE', `task ${taskId} has no live ACP agent run to talk to (only ACP agents take messages, while they run)`, { taskId });
    const sent = run.control.send(text, { interrupt });
    if (!sent.accepted) throw new ApiError('RUN_NOT_STEERABLE', `the agent of task ${taskId} cannot take a message now: ${sent.reason}`, { taskId });
    await run.record({ type: 'AGENT.MESSAGE', taskId, runId: run.runId, text, delivery: sent.delivery, by, at: this.opts.clock.now().toISOString() }, actor);
    return { runId: run.runId, delivery: sent.delivery };
  }

  private pendingKind(options: ReadonlyArray<{ optionId: string; kind: string }>, optionId: string): 'allow' | 'reject' {
    return options.find((o) => o.optionId === optionId)?.kind.startsWith('allow') ? 'allow' : 'reject';
  }
}
