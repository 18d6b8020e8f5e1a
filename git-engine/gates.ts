// Running gate commands (`sh -c <command>`) in the integration worktree: its own process group, a
// timeout that kills the whole group, and output kept bounded (head and tail). How the process is
// started (sandboxed, recorded) is injected as a GateSpawner. Spawning is
// asynchronous I/O, so this runs on the main thread; only git work goes to the worker pool.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { GateResult } from './save-types.js';

export const GATE_OUTPUT_LIMIT = 64 * 1024;

class BoundedOutput {
  private head = '';
  private tail = '';
  private dropped = 0;
  constructor(private readonly limit: number) {}
  push(chunk: string): void {
    const half = this.limit / 2;
    if (this.head.length < half) {
      const take = chunk.slice(0, half - this.head.length);
      this.head += take;
      chunk = chunk.slice(take.length);
    }
    this.tail += chunk;
    if (this.tail.length > half) {
      this.dropped += this.tail.length - half;
      this.tail = this.tail.slice(this.tail.length - half);
    }
  }
  toString(): string {
    return this.dropped > 0 ? `${this.head}\n[... ${this.dropped} characters omitted ...]\n${this.tail}` : this.head + this.tail;
  }
}

/** How long stdout/stderr may still deliver buffered output after the gate's shell exited. */
const DRAIN_MS = 250;

/** How one gate process is started: the command line, and hooks around the process's life. */
export interface GateLaunch {
  bin: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Right after the spawn, with the leader's pid (the runtime records it, so a restart can kill it). */
  started?(pid: number): void;
  /** Once the gate's result is known and its process group was killed; the result waits for it. */
  finished?(): Promise<void>;
}

/**
 * Turns a gate command into a launch. The runtime injects one that runs the gate in the agents'
 * sandbox and records it like an agent run (a task branch can rewrite `.thalogos.json`, so a gate
 * is as untrusted as an agent). May throw (e.g. no sandbox available): the Save then fails.
 */
export type GateSpawner = (gate: { command: string; cwd: string; env: NodeJS.ProcessEnv }) => GateLaunch;

/** Unconfined `sh -c`: for tests and embedders without a sandbox. */
export const plainGateSpawner: GateSpawner = (gate) => ({ bin: 'sh', args: ['-c', gate.command], cwd: gate.cwd, env: gate.env });

/** Output of a gate as it is written, for people watching a Save (the result keeps it bounded). */
export type GateOutputListener = (stream: 'stdout' | 'stderr', text: string) => void;

/** Hooks around a run of gates: which one starts, and its output while it runs. */
export interface GateObserver {
  onStart?(index: number, command: string): void;
  onOutput?(index: number, stream: 'stdout' | 'stderr', text: string): void;
}

export async function runGate(command: string, cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env, limit = GATE_OUTPUT_LIMIT, spawner: GateSpawner = plainGateSpawner, onOutput?: GateOutputListener): Promise<GateResult> {
  const launch = spawner({ command, cwd, env: { ...env, CI: '1' } });
  return new Promise((resolve) => {
    const started = performance.now();
    const out = new BoundedOutput(limit);
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(launch.bin, launch.args, { cwd: launch.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: launch.env });
    } catch (err) {
      void (launch.finished?.() ?? Promise.resolve()).then(() => resolve({ command, exitCode: null, timedOut: false, durationMs: 0, output: String(err) }));
      return;
    }
    if (child.pid !== undefined) launch.started?.(child.pid);
    let timedOut = false;
    let done = false;
    const kill = () => {
      try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    };
    // A listener that throws must not take the gate (or the Save) down with it.
    const tell = (stream: 'stdout' | 'stderr', text: string) => { try { onOutput?.(stream, text); } catch { /* the watcher's problem */ } };
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out.push(d); tell('stdout', d); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out.push(d); tell('stderr', d); });
    // The result is decided when the shell exits (or is killed), not when the pipes close: a
    // background process (`sleep 30 &`, `setsid ...`) may hold them open for ever. Its group is
    // killed, buffered output gets a short drain, then the pipes are destroyed.
    const finish = (exitCode: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      kill(); // leftovers of the gate's process group must not outlive it
      const streams = [child.stdout, child.stderr];
      let open = streams.filter((s) => !s.readableEnded && !s.destroyed).length;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearTimeout(drain);
        for (const s of streams) s.destroy();
        const result = { command, exitCode, timedOut, durationMs: Math.round(performance.now() - started), output: out.toString() };
        // The next gate starts only once this one's sandbox is torn down and its record removed.
        void (launch.finished?.() ?? Promise.resolve()).catch(() => undefined).then(() => resolve(result));
      };
      const drain = setTimeout(end, DRAIN_MS);
      if (open === 0) end();
      else for (const s of streams) s.once('close', () => { open -= 1; if (open === 0) end(); });
    };
    const timer = setTimeout(() => { timedOut = true; finish(null); }, timeoutMs);
    child.on('error', (err) => { out.push(`\n${err.message}`); finish(null); });
    child.on('exit', (code) => finish(timedOut ? null : code));
  });
}

/** Runs gates in order and stops at the first failure (later gates are not run). */
export async function runGates(commands: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env, spawner: GateSpawner = plainGateSpawner, observer: GateObserver = {}): Promise<{ passed: boolean; results: GateResult[] }> {
  const results: GateResult[] = [];
  for (const [index, command] of commands.entries()) {
    observer.onStart?.(index, command);
    const r = await runGate(command, cwd, timeoutMs, env, GATE_OUTPUT_LIMIT, spawner, (stream, text) => observer.onOutput?.(index, stream, text));
    results.push(r);
    if (r.timedOut || r.exitCode !== 0) return { passed: false, results };
  }
  return { passed: true, results };
}
