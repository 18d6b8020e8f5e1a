// Running `.thalogos.json`'s `setup` commands in a new task worktree, in order, before its agent
// starts: each in the agents' sandbox (setup-spawner.ts), in its own process group with a timeout
// that kills the group, stopped at the first failure. Output goes to the caller in coalesced
// chunks (it becomes TASK.SETUP_OUTPUT events: the task's live stream and its log).
import { runGate, type GateSpawner } from '../../git-engine/index.js';
import type { Clock } from '../clock.js';

/**
 * Longest text of one output event. The event schema allows 8 KiB (the state document's string
 * limit); 6 KiB leaves room for redaction, which may lengthen a text by a quarter at most.
 */
export const SETUP_CHUNK = 6 * 1024;
/** Output logged per task at most; beyond it one note says how much was left out (the failure keeps the tail). */
export const SETUP_LOG_LIMIT = 1024 * 1024;
/** Output is gathered this long before it is logged, so a chatty installer costs a few entries a second. */
const FLUSH_MS = 100;

export interface SetupChunk { index: number; seq: number; stream: 'stdout' | 'stderr'; text: string }

export type SetupOutcome =
  | { ok: true }
  | { ok: false; cancelled: boolean; index: number; command: string; exitCode: number | null; timedOut: boolean; output: string };

export interface SetupParams {
  commands: readonly string[];
  cwd: string;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  spawner: GateSpawner;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Called in order, one call at a time (the next waits for the previous one's promise). */
  emit: (chunk: SetupChunk) => Promise<void>;
  signal: AbortSignal;
}

/** Coalesces output per command and stream, and hands it on in order, bounded in total. */
class OutputPump {
  private pending: Array<{ index: number; stream: 'stdout' | 'stderr'; text: string }> = [];
  private chain: Promise<void> = Promise.resolve();
  private timer: unknown = null;
  private seq = 0;
  private logged = 0;
  private dropped = 0;

  constructor(private readonly emit: SetupParams['emit'], private readonly clock: SetupParams['clock']) {}

  push(index: number, stream: 'stdout' | 'stderr', text: string): void {
    const room = SETUP_LOG_LIMIT - this.logged;
    if (room <= 0) { this.dropped += text.length; return; }
    const kept = text.slice(0, room);
    this.dropped += text.length - kept.length;
    this.logged += kept.length;
    const last = this.pending[this.pending.length - 1];
    if (last && last.index === index && last.stream === stream) last.text += kept;
    else this.pending.push({ index, stream, text: kept });
    this.timer ??= this.clock.setTimeout(() => { this.timer = null; this.flush(); }, FLUSH_MS);
  }

  /** Sends what is gathered; resolves once everything handed on so far was emitted. */
  flush(final = false): Promise<void> {
    if (this.timer !== null) { this.clock.clearTimeout(this.timer); this.timer = null; }
    const batch = this.pending;
    this.pending = [];
    if (final && this.dropped > 0) {
      batch.push({ index: batch[batch.length - 1]?.index ?? 0, stream: 'stderr', text: `\n[thalogos: ${this.dropped} more characters of setup output were not logged]\n` });
      this.dropped = 0;
    }
    for (const part of batch) {
      for (let at = 0; at < part.text.length; at += SETUP_CHUNK) {
        const chunk: SetupChunk = { index: part.index, seq: ++this.seq, stream: part.stream, text: part.text.slice(at, at + SETUP_CHUNK) };
        this.chain = this.chain.then(() => this.emit(chunk)).catch(() => undefined);
      }
    }
    return this.chain;
  }
}

/**
 * Runs the commands one after the other; the first that exits non-zero, times out or is
 * cancelled ends the setup. A cancel (`signal`) kills the running command's process group.
 */
export async function runTaskSetup(p: SetupParams): Promise<SetupOutcome> {
  const pump = new OutputPump(p.emit, p.clock);
  try {
    for (const [index, command] of p.commands.entries()) {
      if (p.signal.aborted) return { ok: false, cancelled: true, index, command, exitCode: null, timedOut: false, output: '' };
      let pid: number | null = null;
      const kill = () => { try { if (pid !== null) process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ } };
      // The spawner's started hook gives the group leader's pid: a cancel kills the group.
      const spawner: GateSpawner = (gate) => {
        const launch = p.spawner(gate);
        return { ...launch, started: (startedPid) => { pid = startedPid; launch.started?.(startedPid); if (p.signal.aborted) kill(); } };
      };
      p.signal.addEventListener('abort', kill);
      let result;
      try {
        result = await runGate(command, p.cwd, p.timeoutMs, p.env, undefined, spawner, (stream, text) => pump.push(index, stream, text));
      } finally {
        p.signal.removeEventListener('abort', kill);
      }
      await pump.flush();
      if (p.signal.aborted) return { ok: false, cancelled: true, index, command, exitCode: null, timedOut: false, output: result.output };
      if (result.exitCode !== 0 || result.timedOut) {
        return { ok: false, cancelled: false, index, command, exitCode: result.exitCode, timedOut: result.timedOut, output: result.output };
      }
    }
    return { ok: true };
  } finally {
    await pump.flush(true);
  }
}
