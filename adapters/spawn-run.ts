import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RunControl } from './acp-control.js';
import type { BuiltCommand, ExitInfo, StreamParser } from './agent-adapter.js';
import type { AgentEvent, AgentEventDraft } from './agent-event.js';
import { EventStream } from './event-stream.js';
import { failure, type RunFailure } from './failure-classifier.js';
import { LineSplitter, TailBuffer } from './line-splitter.js';
import { ProcessTree, RUN_MARKER_VARIABLE } from './process-tree.js';
import type { Redactor } from './redact.js';

export interface RunOutcome {
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'timed_out';
  exitCode: number | null;
  signal: string | null;
  finalMessage: string | null;
  error: RunFailure | null;
  resumeToken: string | null;
  cliVersion: string | null;
  usage: { inputTokens: number; outputTokens: number; costUsd: number | null };
  /** Last few KB of stderr, redacted. */
  stderrTail: string;
}

export interface AgentRun {
  runId: string;
  /** Every normalised event in order; ends once the process exited and its streams drained. */
  events: AsyncIterable<AgentEvent>;
  started: Promise<{ cliVersion: string | null; pid: number | null }>;
  /**
   * The token to resume this conversation, as soon as the CLI announces it (Codex
   * `thread.started`, Claude `system/init`, Gemini `init`), so it can be recorded before the run
   * ends; null when the run ends without one. Same value as `RunOutcome.resumeToken`. Never rejects.
   */
  resumeToken: Promise<string | null>;
  /** Interactive adapters (ACP) only: people's messages to the live agent. */
  control?: RunControl;
  /** SIGTERM to the process group, then SIGKILL after the grace period. */
  cancel(reason?: string): void;
  /** Never rejects. */
  done: Promise<RunOutcome>;
}

export interface SpawnRunOptions {
  runId: string;
  command: BuiltCommand;
  parser: StreamParser;
  classifyExit(exit: ExitInfo): { status: 'succeeded' | 'failed'; error: RunFailure | null };
  timeoutMs: number;
  killGraceMs: number;
  cliVersion: string | null;
  redactor: Redactor;
  now: () => Date;
  signal?: AbortSignal | undefined;
  logger?: Logger | undefined;
  /** stdout + stderr bytes the run may print; past it the run is stopped (AGENT_OUTPUT_LIMIT). */
  maxOutputBytes?: number | undefined;
  /** Awaited once every process of the run is gone (the sandbox's cleanup); violations fail the run. */
  release?: (() => Promise<{ violations: string[] }>) | undefined;
  /** Whether the run's processes all end with its leader (see SandboxedCommand.contained). */
  contained?: boolean | undefined;
  /** The sandbox's own setup error (from the stderr of a run that printed nothing else), or null. */
  setupFailure?: ((stderrTail: string) => string | null) | undefined;
  /** See AgentAdapter.sandboxFailure: a success that did nothing because tools were refused. */
  sandboxFailure?: ((events: readonly AgentEventDraft[]) => RunFailure | null) | undefined;
}

/** Longest raw line kept in an event: a runaway line must not flood the event log. */
const MAX_RAW_LINE = 16_384;
/** After the leader exits, how long grandchildren may keep the pipes open before they are killed. */
const DRAIN_MS = 3_000;
/** After a normal exit, how long processes left behind get between SIGTERM and SIGKILL. */
const LEFTOVER_GRACE_MS = 1_000;
/** Tool events kept for `sandboxFailure` (the last ones matter; the count is bounded). */
const MAX_TOOL_EVENTS = 1_000;

/** Runs one CLI process and turns its stdout into normalised events (see AgentRun). */
export function spawnRun(opts: SpawnRunOptions): AgentRun {
  const { runId, command, parser, redactor, now } = opts;
  const stream = new EventStream<AgentEvent>();
  const stderrTail = new TailBuffer();
  const usage = { inputTokens: 0, outputTokens: 0, costUsd: null as number | null };
  let seq = 0;
  let cancelled: string | null = null;
  let timedOut = false;
  let outputBytes = 0;
  let sawStdout = false;
  let overLimit = false;
  const toolEvents: AgentEventDraft[] = [];
  let violations: string[] = [];
  let spawnError: Error | null = null;
  let exit: { exitCode: number | null; signal: string | null } | null = null;
  let finished = false;
  let streamClosed = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;

  const emit = (draft: AgentEventDraft): void => {
    if (draft.type === 'command' || draft.type === 'file_change' || draft.type === 'tool_call') {
      toolEvents.push(draft);
      if (toolEvents.length > MAX_TOOL_EVENTS) toolEvents.shift();
    }
    const event = { ...redactor.value(draft), at: now().toISOString(), seq: seq++ } as AgentEvent;
    if (event.type === 'usage') {
      usage.inputTokens += event.inputTokens;
      usage.outputTokens += event.outputTokens;
      if (event.costUsd !== null) usage.costUsd = (usage.costUsd ?? 0) + event.costUsd;
    }
    stream.push(event);
  };
  const safely = (f: () => AgentEventDraft[], line: string): void => {
    let drafts: AgentEventDraft[];
    try {
      drafts = f();
    } catch (err) {
      // A parser bug on one line must cost that line only, never the run.
      opts.logger?.warn({ runId, err: redactor.text(String(err)) }, 'adapter parser threw');
      drafts = [{ type: 'raw', line: line.slice(0, MAX_RAW_LINE), reason: 'invalid' }];
    }
    for (const d of drafts) emit(d);
    announceToken(parser.outcome().resumeToken);
  };

  const stdoutLines = new LineSplitter((line, overlong) => {
    if (overlong) emit({ type: 'raw', line: line.slice(0, MAX_RAW_LINE), reason: 'not_json' });
    else safely(() => parser.line(line), line);
  });

  let resolveStarted!: (v: { cliVersion: string | null; pid: number | null }) => void;
  const started = new Promise<{ cliVersion: string | null; pid: number | null }>((r) => { resolveStarted = r; });
  let resolveToken!: (t: string | null) => void;
  let tokenKnown = false;
  const resumeToken = new Promise<string | null>((r) => { resolveToken = r; });
  const announceToken = (token: string | null): void => {
    if (tokenKnown || token === null) return;
    tokenKnown = true;
    resolveToken(redactor.text(token));
  };
  let resolveDone!: (o: RunOutcome) => void;
  const done = new Promise<RunOutcome>((r) => { resolveDone = r; });

  let child: ChildProcess | null = null;
  let tree: ProcessTree | null = null;
  const marker = randomUUID();
  try {
    child = spawn(command.bin, command.args, {
      cwd: command.cwd,
      // The marker finds the run's processes even after they left its process group and parent.
      env: { ...command.env, [RUN_MARKER_VARIABLE]: marker },
      // stdin closed (or written and closed at once): Codex waits forever on an open pipe. Own process group: cancel reaches
      // every grandchild (the native binary behind a node shim, the shells it starts).
      stdio: [command.stdin === undefined && !parser.attach ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (err) {
    // Synchronous spawn failures (e.g. an argument with a NUL byte) end the run like ENOENT does.
    spawnError = err instanceof Error ? err : new Error(String(err));
  }
  if (child?.pid !== undefined) tree = new ProcessTree(child.pid, marker);
  if (child?.stdin && command.stdin !== undefined) {
    // A CLI that exits without reading its input must not fail the run with EPIPE.
    child.stdin.on('error', () => { /* the exit tells the story */ });
    child.stdin.end(command.stdin);
  }
  if (child?.stdin && parser.attach) {
    // An interactive CLI (ACP) keeps its stdin open; the parser speaks the protocol over it.
    child.stdin.on('error', () => { /* the exit tells the story */ });
    parser.attach({
      stdin: child.stdin,
      emit: (drafts) => { if (!streamClosed) { for (const d of drafts) emit(d); announceToken(parser.outcome().resumeToken); } },
      redact: (value) => redactor.value(value),
      stop: () => terminate(),
    });
  }

  // The whole tree, not only the leader's group: shell tools run in sessions of their own.
  const killGroup = (sig: NodeJS.Signals): void => { void tree?.signal(sig); };

  const terminate = (): void => {
    if (finished || graceTimer !== undefined) return;
    killGroup('SIGTERM');
    graceTimer = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs);
    graceTimer.unref();
  };

  const finalize = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timeoutTimer);
    clearTimeout(graceTimer);
    clearTimeout(drainTimer);
    opts.signal?.removeEventListener('abort', onAbort);
    // No process of the run outlives it (daemonised helpers, a shell the agent left behind).
    // After cancel/timeout the tree already had its SIGTERM and grace; after a normal exit the
    // leftovers get a short one, so their exit traps (lock files) still run.
    // A contained run whose leader exited has nothing left: the kernel ended its pid namespace.
    const alreadyWarned = cancelled !== null || timedOut || overLimit;
    const leftovers = opts.contained && exit !== null ? null : tree;
    void (leftovers?.killAll(3_000 + LEFTOVER_GRACE_MS, alreadyWarned ? 0 : LEFTOVER_GRACE_MS) ?? Promise.resolve())
      .then(() => opts.release?.())
      .then((r) => { violations = r?.violations ?? []; }, (err: unknown) => { violations = [`sandbox cleanup failed: ${String(err)}`]; })
      .then(complete);
  };

  const complete = (): void => {
    try {
      completeRun();
    } catch (err) {
      // An adapter bug (outcome(), classifyExit()) must not leave `done` pending forever.
      const message = redactor.text(`the ${command.bin} adapter failed to finish the run: ${String(err)}`);
      opts.logger?.error({ runId, err: message }, 'agent run finalisation threw');
      const error = failure('AGENT_FAILED', message);
      if (!streamClosed) {
        emit({ type: 'error', message, code: error.code });
        emit({ type: 'done', finalMessage: null, status: 'failed' });
        stream.close();
        streamClosed = true;
      }
      const ex = exit ?? { exitCode: null, signal: null };
      resolveStarted({ cliVersion: opts.cliVersion, pid: child?.pid ?? null });
      resolveToken(null);
      resolveDone({ runId, status: 'failed', exitCode: ex.exitCode, signal: ex.signal, finalMessage: null, error,
        resumeToken: null, cliVersion: opts.cliVersion, usage: { ...usage }, stderrTail: '' });
    }
  };

  const completeRun = (): void => {
    stdoutLines.end();
    const ex = exit ?? { exitCode: null, signal: null };
    safely(() => parser.finish(ex), '');
    const parsed = parser.outcome();
    const tail = redactor.text(stderrTail.value());
    let status: RunOutcome['status'];
    let error: RunFailure | null;
    if (cancelled !== null) {
      status = 'cancelled';
      error = failure('AGENT_CANCELLED', `cancelled: ${cancelled}`);
    } else if (timedOut) {
      status = 'timed_out';
      error = failure('AGENT_TIMEOUT', `no result within ${opts.timeoutMs} ms`);
    } else if (overLimit) {
      status = 'failed';
      error = failure('AGENT_OUTPUT_LIMIT', `the run printed more than ${String(opts.maxOutputBytes)} bytes and was stopped`);
    } else if (spawnError !== null) {
      status = 'failed';
      error = failure('AGENT_SPAWN_FAILED', `could not start ${command.bin}: ${spawnError.message}`);
    } else if (!sawStdout && ex.exitCode !== 0 && opts.setupFailure?.(tail)) {
      // The sandbox could not start the CLI (e.g. the binary vanished): same class as ENOENT.
      status = 'failed';
      error = failure('AGENT_SPAWN_FAILED', opts.setupFailure(tail) ?? '');
    } else {
      const c = opts.classifyExit({ exitCode: ex.exitCode, signal: ex.signal, parsed, stderrTail: tail });
      status = c.status;
      error = c.error;
      const blocked = status === 'succeeded' ? opts.sandboxFailure?.(toolEvents) ?? null : null;
      if (blocked !== null) { status = 'failed'; error = blocked; }
    }
    if (violations.length > 0 && status !== 'cancelled') {
      // Whatever the CLI said, a run that tampered with what the sandbox protects did not succeed.
      status = 'failed';
      error = failure('AGENT_SANDBOX_VIOLATION', violations.join('; '));
    }
    if (error !== null) emit({ type: 'error', message: error.message, code: error.code });
    const finalMessage = parsed.finalMessage === null ? null : redactor.text(parsed.finalMessage);
    emit({ type: 'done', finalMessage, status: status === 'succeeded' ? 'succeeded' : 'failed' });
    stream.close();
    streamClosed = true;
    const outcome: RunOutcome = redactor.value({
      runId, status, exitCode: ex.exitCode, signal: ex.signal, finalMessage, error,
      resumeToken: parsed.resumeToken, cliVersion: parsed.agentVersion ?? opts.cliVersion, usage: { ...usage }, stderrTail: tail,
    });
    opts.logger?.info({ runId, status, exitCode: ex.exitCode, code: error?.code ?? null }, 'agent run finished');
    resolveStarted({ cliVersion: opts.cliVersion, pid: child?.pid ?? null });
    resolveToken(outcome.resumeToken);
    resolveDone(outcome);
  };

  const timeoutTimer = setTimeout(() => { timedOut = true; terminate(); }, opts.timeoutMs);
  timeoutTimer.unref();
  const onAbort = (): void => cancel('aborted by signal');
  const cancel = (reason = 'cancelled'): void => {
    if (finished || cancelled !== null) return;
    cancelled = reason;
    terminate();
  };

  const proc = child;
  if (proc === null) {
    queueMicrotask(finalize);
  } else {
    proc.on('spawn', () => resolveStarted({ cliVersion: opts.cliVersion, pid: proc.pid ?? null }));
    proc.on('error', (err) => {
      // Spawn failures (ENOENT, EACCES) come here and no process ever existed.
      if (proc.pid === undefined) { spawnError = err; finalize(); }
    });
    const countOutput = (c: Buffer): void => {
      outputBytes += c.length;
      if (opts.maxOutputBytes !== undefined && outputBytes > opts.maxOutputBytes && !overLimit) {
        overLimit = true;
        terminate();
      }
    };
    proc.stdout?.on('data', (c: Buffer) => { sawStdout = true; countOutput(c); if (!overLimit) stdoutLines.push(c); });
    proc.stderr?.on('data', (c: Buffer) => {
      countOutput(c);
      const text = c.toString('utf8');
      stderrTail.push(text);
      if (parser.stderr) safely(() => parser.stderr?.(text) ?? [], text);
    });
    proc.on('exit', (code, signal) => {
      exit = { exitCode: code, signal };
      // Grandchildren holding the pipes would keep `close` from ever firing.
      // finalize() then ends them (SIGTERM, a short grace, SIGKILL).
      drainTimer = setTimeout(() => {
        proc.stdout?.destroy();
        proc.stderr?.destroy();
        finalize();
      }, DRAIN_MS);
      drainTimer.unref();
    });
    proc.on('close', (code, signal) => {
      exit ??= { exitCode: code, signal };
      finalize();
    });
    if (opts.signal?.aborted) cancel('aborted by signal');
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  }

  return { runId, events: stream, started, resumeToken, cancel, done, ...(parser.control ? { control: parser.control } : {}) };
}
