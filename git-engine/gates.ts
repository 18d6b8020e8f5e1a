// Running gate commands (`sh -c <command>`) in the integration worktree: its own process group, a
// timeout that kills the whole group, and output kept bounded (head and tail). Spawning is
// asynchronous I/O, so this runs on the main thread; only git work goes to the worker pool.
import { spawn } from 'node:child_process';
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

export function runGate(command: string, cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env, limit = GATE_OUTPUT_LIMIT): Promise<GateResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const out = new BoundedOutput(limit);
    const child = spawn('sh', ['-c', command], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, CI: '1' } });
    let timedOut = false;
    let done = false;
    const kill = () => {
      try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => out.push(d));
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
        resolve({ command, exitCode, timedOut, durationMs: Math.round(performance.now() - started), output: out.toString() });
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
export async function runGates(commands: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<{ passed: boolean; results: GateResult[] }> {
  const results: GateResult[] = [];
  for (const command of commands) {
    const r = await runGate(command, cwd, timeoutMs, env);
    results.push(r);
    if (r.timedOut || r.exitCode !== 0) return { passed: false, results };
  }
  return { passed: true, results };
}
