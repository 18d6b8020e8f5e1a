import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStaleSessionLocks } from './stale-locks.js';

describe('removeStaleSessionLocks', () => {
  let dir: string;
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('removes only lock files of the session\'s own refs that predate this start', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'thalogos-locks-'));
    const taskDir = path.join(dir, 'refs', 'heads', 'session', 's1', 'task');
    await mkdir(taskDir, { recursive: true });
    const old = new Date(Date.now() - 60_000);
    const stale = path.join(taskDir, 't1.lock');
    const fresh = path.join(taskDir, 't2.lock');
    const main = path.join(dir, 'refs', 'heads', 'main.lock');
    const other = path.join(dir, 'refs', 'heads', 'session', 's2', 'integration.lock');
    await mkdir(path.dirname(other), { recursive: true });
    for (const file of [stale, fresh, main, other]) await writeFile(file, '');
    for (const file of [stale, main, other]) await utimes(file, old, old);
    const removed = await removeStaleSessionLocks(dir, 's1', new Date(Date.now() - 1000));
    expect(removed).toEqual(['refs/heads/session/s1/task/t1.lock']);
    expect([existsSync(stale), existsSync(fresh), existsSync(main), existsSync(other)]).toEqual([false, true, true, true]);
  });
});
