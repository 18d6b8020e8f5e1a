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

export function processGone(pid: number, group = false): boolean {
  try { process.kill(group ? -pid : pid, 0); return false; } catch { return true; }
}
