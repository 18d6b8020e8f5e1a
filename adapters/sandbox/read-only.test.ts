// A planning run's working directory is bound read-only by the sandbox (real bubblewrap), and an
// adapter without a read-only mode refuses such a run instead of running it writable.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTERS } from '../adapter-list.js';
import { createAdapterRegistry } from '../registry.js';
import { tempDir } from '../test-support.js';
import { createSandbox } from './sandbox.js';

const ROOT = join(import.meta.dirname, '..', '..');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

describe('read-only runs', () => {
  it('bind the working directory read-only: the run reads it and cannot write to it', async () => {
    const t = await tempDir('ro');
    cleanups.push(t.cleanup);
    const sandbox = createSandbox({ mode: 'bubblewrap' }, process.env);
    const run = (readOnly: boolean) => {
      const boxed = sandbox.wrap({ runKey: `ro-${readOnly}`, network: false, readOnly, command: { bin: '/bin/sh', args: ['-c', 'ls . >/dev/null && touch written.txt'], env: process.env, cwd: t.dir } });
      const r = spawnSync(boxed.command.bin, boxed.command.args, { cwd: t.dir, env: boxed.command.env, encoding: 'utf8' });
      return boxed.release().then(() => r);
    };
    const ro = await run(true);
    expect(ro.status).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(t.dir, 'written.txt'))).toBe(false);
    // The same command without readOnly writes: the refusal above is the bind, not the command.
    expect((await run(false)).status).toBe(0);
    expect(existsSync(join(t.dir, 'written.txt'))).toBe(true);
  });

  it('are refused by an adapter without a read-only mode (command)', async () => {
    const registry = createAdapterRegistry({ config: { order: ['command'], adapters: {} }, env: process.env, projectRoot: ROOT, adapters: ADAPTERS.filter((a) => a.id === 'command') });
    await registry.handshakeAll();
    expect(() => registry.run('command', { runId: 'r', cwd: ROOT, prompt: 'true', readOnly: true })).toThrow(expect.objectContaining({ code: 'INVALID_RUN_OPTIONS' }));
  });
});
