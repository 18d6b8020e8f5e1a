// A `thalogos serve` child process for the runtime benches (restart.ts, api-load.ts): started the
// way people start it (bin/thalogos.mjs), timed from spawn, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tests/helpers/server-process.js';

/** The checkout whose server is started: this one, or THALOGOS_BENCH_ROOT (to compare with another). */
export const ROOT = process.env.THALOGOS_BENCH_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_TOKEN = 'bench-admin-token-0123456789abcdef';

export interface BenchServer {
  child: ChildProcess;
  url: string;
  /** performance.now() when the process was spawned. */
  spawnedAt: number;
  output(): string;
  stop(): Promise<void>;
}

export function spawnServer(env: Record<string, string>): Promise<BenchServer> {
  return freePort().then((port) => {
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/thalogos.mjs'), 'serve'], {
      cwd: ROOT,
      // THALOGOS_BENCH_NODE_OPTIONS reaches the server only (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
      env: { ...process.env, THALOGOS_HOST: '127.0.0.1', THALOGOS_PORT: String(port), THALOGOS_LOG_LEVEL: 'warn', THALOGOS_ADMIN_TOKEN: BENCH_TOKEN, ...(process.env.THALOGOS_BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.THALOGOS_BENCH_NODE_OPTIONS } : {}), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      child,
      url: `http://127.0.0.1:${port}`,
      spawnedAt,
      output: () => output,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      },
    };
  });
}

/** Polls `url` every `everyMs` until it answers 200; returns ms since `since`. */
export async function untilOk(server: BenchServer, pathname: string, since: number, everyMs = 5, token?: string): Promise<number> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    if (server.child.exitCode !== null) throw new Error(`server exited early:\n${server.output()}`);
    try {
      const response = await fetch(`${server.url}${pathname}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${pathname} never answered 200:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** JSON request with the bench's admin token. */
export async function api<T = any>(url: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${pathname}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const ms = (value: number) => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
export const spread = (values: number[]) => `${ms(Math.min(...values))}-${ms(Math.max(...values))}`;
