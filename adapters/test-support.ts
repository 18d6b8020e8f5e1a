import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent } from './agent-event.js';
import type { RunOutcome } from './spawn-run.js';

/** Test helpers shared by the adapters' own tests (not part of the public surface). */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `thalogos-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function script(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

export async function drain(run: { events: AsyncIterable<AgentEvent>; done: Promise<RunOutcome> }): Promise<{ events: AgentEvent[]; outcome: RunOutcome }> {
  const events: AgentEvent[] = [];
  for await (const e of run.events) events.push(e);
  return { events, outcome: await run.done };
}

/**
 * True when the process (or, with `group`, every process of the group) has exited. Zombies count
 * as gone: they run nothing, and PID 1 on some hosts reaps orphans only now and then.
 */
export function processGone(pid: number, group = false): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || (!group && Number(name) !== pid)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] !== 'Z' && (!group || Number(f[2]) === pid)) return false;
  }
  return true;
}

/** Live (non-zombie) processes whose command line contains `needle` (arguments joined by spaces). */
export function processesWithCommandLine(needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (!cmdline.includes(needle)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') out.push(Number(name));
    } catch { /* exited while we looked */ }
  }
  return out;
}

/** Polls until `cond` holds; throws after `ms`. */
export async function waitUntil(cond: () => boolean, ms: number, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`${what} not met in time`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
