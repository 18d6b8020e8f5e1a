import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessTree, RUN_MARKER_VARIABLE } from './process-tree.js';
import { processesWithCommandLine, waitUntil } from './test-support.js';

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
});

/** A detached `sh -c` (its own session and group, like a run's leader) with the marker set. */
function leader(marker: string, script: string): number {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore', env: { ...process.env, [RUN_MARKER_VARIABLE]: marker } });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

describe('ProcessTree (real processes, Linux /proc)', () => {
  it('finds and kills the descendants and a marked orphan that left the group with setsid, after the leader exited', async () => {
    const marker = randomUUID();
    const tag = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
    // The child stays a descendant; the setsid one is reparented away (double fork) and keeps only the marker.
    const pid = leader(marker, `sleep 4${tag}1 & (setsid sleep 4${tag}2 > /dev/null 2>&1 &); sleep 30`);
    const tree = new ProcessTree(pid, marker);
    await waitUntil(() => processesWithCommandLine(`sleep 4${tag}1`).length > 0 && processesWithCommandLine(`sleep 4${tag}2`).length > 0, 10_000, 'both sleeps started');
    expect((await tree.snapshot()).length).toBeGreaterThanOrEqual(3);
    process.kill(pid, 'SIGKILL'); // the leader dies first: its child is reparented and loses the ppid link
    await tree.killAll(5_000);
    expect(processesWithCommandLine(`sleep 4${tag}1`)).toEqual([]);
    expect(processesWithCommandLine(`sleep 4${tag}2`)).toEqual([]);
    expect(await tree.alive()).toBe(false);
  });

  it('leaves alone a process with the marker that was running before the run started (it cannot be the run\'s)', async () => {
    const marker = randomUUID();
    const tag = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
    const older = leader(marker, `exec sleep 5${tag}`);
    await waitUntil(() => processesWithCommandLine(`sleep 5${tag}`).length > 0, 10_000, 'the older process started');
    // Start times are in clock ticks (10 ms): the run begins clearly later.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pid = leader(marker, 'exit 0');
    const tree = new ProcessTree(pid, marker);
    await tree.killAll(2_000);
    expect(processesWithCommandLine(`sleep 5${tag}`)).toEqual([older]);
  });
});
