import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADAPTERS } from './adapter-list.js';
import { AdapterError } from './errors.js';
import { compareVersions } from './handshake.js';
import { createAdapterRegistry } from './registry.js';
import { script, tempDir } from './test-support.js';

const ROOT = join(import.meta.dirname, '..');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

async function dir(): Promise<string> {
  const t = await tempDir('registry');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('handshake', () => {
  it('finds the real CLIs in node_modules/.bin and reads their versions', async () => {
    const home = await dir();
    const registry = createAdapterRegistry({
      config: { order: ['codex', 'claude', 'gemini', 'command'], adapters: {} },
      // Credentials visible, so the result depends only on the binaries.
      env: { PATH: process.env['PATH'], HOME: home, OPENAI_API_KEY: 'sk-x-00000000', ANTHROPIC_API_KEY: 'sk-y-00000000', GEMINI_API_KEY: 'g-00000000' },
      projectRoot: ROOT,
    });
    const statuses = await registry.handshakeAll();
    expect(statuses.map((s) => [s.id, s.status])).toEqual([['codex', 'available'], ['claude', 'available'], ['gemini', 'available'], ['command', 'available'],
      ['claude-acp', 'available'], ['codex-acp', 'available'], ['gemini-acp', 'available']]);
    for (const s of statuses.slice(0, 3)) {
      expect(s.binPath).toBe(join(ROOT, 'node_modules', '.bin', s.id));
      expect(s.descriptor.cliVersion).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(registry.order()).toEqual(['codex', 'claude', 'gemini', 'command']);
    expect(registry.unavailableReason('codex')).toBeNull();
  });

  it('missing binary: status missing with the reason, and run is refused with ADAPTER_UNAVAILABLE', async () => {
    const empty = await dir();
    const registry = createAdapterRegistry({
      config: { order: ['codex'], adapters: {} },
      env: { PATH: empty, OPENAI_API_KEY: 'sk-x-00000000' },
      projectRoot: empty, // no node_modules/.bin here
      adapters: ADAPTERS.filter((a) => a.id === 'codex'),
    });
    const [s] = await registry.handshakeAll();
    expect(s).toMatchObject({ id: 'codex', status: 'missing', binPath: null });
    expect(s?.reason).toContain('not found');
    expect(registry.isAvailable('codex')).toBe(false);
    expect(registry.unavailableReason('codex')).toMatch(/^missing: codex not found/);
    try {
      registry.run('codex', { runId: 'r', cwd: empty, prompt: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AdapterError);
      const json = (err as AdapterError).toJSON();
      expect(json).toMatchObject({ code: 'ADAPTER_UNAVAILABLE', data: { id: 'codex', status: 'missing' } });
      expect(JSON.parse(JSON.stringify(err))).toEqual(json);
    }
  });

  it('configured bin wins over node_modules and PATH; a non-executable path is missing', async () => {
    const d = await dir();
    const bin = await script(d, 'my-codex', 'echo "codex-cli 0.200.1"');
    const ok = createAdapterRegistry({ config: { order: [], adapters: { codex: { enabled: true, bin, args: [], env: {}, timeoutMs: 1000 } } },
      env: { PATH: process.env['PATH'], OPENAI_API_KEY: 'sk-x-00000000' }, projectRoot: ROOT, adapters: ADAPTERS.filter((a) => a.id === 'codex') });
    expect((await ok.handshakeAll())[0]).toMatchObject({ status: 'available', binPath: bin, descriptor: { cliVersion: '0.200.1' } });
    const bad = createAdapterRegistry({ config: { order: [], adapters: { codex: { enabled: true, bin: join(d, 'nope'), args: [], env: {}, timeoutMs: 1000 } } },
      env: { PATH: process.env['PATH'] }, projectRoot: ROOT, adapters: ADAPTERS.filter((a) => a.id === 'codex') });
    expect((await bad.handshakeAll())[0]).toMatchObject({ status: 'missing' });
  });

  it('incompatible: a binary whose version cannot be read, or one older than supported', async () => {
    const d = await dir();
    const garbage = await script(d, 'g', 'echo "hello"');
    const old = await script(d, 'o', 'echo "codex-cli 0.1.0"');
    const failing = await script(d, 'f', 'echo "boom" >&2; exit 4');
    for (const [bin, why] of [[garbage, /unrecognised version/], [old, /older than/], [failing, /exit 4: boom/]] as const) {
      const r = createAdapterRegistry({ config: { order: [], adapters: { codex: { enabled: true, bin, args: [], env: {}, timeoutMs: 1000 } } },
        env: { PATH: process.env['PATH'], OPENAI_API_KEY: 'sk-x-00000000' }, projectRoot: ROOT, adapters: ADAPTERS.filter((a) => a.id === 'codex') });
      const [s] = await r.handshakeAll();
      expect(s?.status).toBe('incompatible');
      expect(s?.reason).toMatch(why);
    }
  });

  it('a version command that hangs is cut off by the timeout (incompatible, not a stuck start-up)', async () => {
    const d = await dir();
    const bin = await script(d, 'h', 'sleep 30');
    const r = createAdapterRegistry({ config: { order: [], adapters: { codex: { enabled: true, bin, args: [], env: {}, timeoutMs: 1000 } } },
      env: { PATH: process.env['PATH'] }, projectRoot: ROOT, adapters: ADAPTERS.filter((a) => a.id === 'codex'), versionTimeoutMs: 300 });
    expect((await r.handshakeAll())[0]).toMatchObject({ status: 'incompatible', reason: expect.stringMatching(/timed out/) });
  });

  it('unauthenticated when no credential source is visible; disabled when switched off', async () => {
    const home = await dir();
    const env = { PATH: process.env['PATH'], HOME: home };
    const r = createAdapterRegistry({ config: { order: [], adapters: { gemini: { enabled: false, args: [], env: {}, timeoutMs: 1 } } }, env, projectRoot: ROOT });
    const byId = Object.fromEntries((await r.handshakeAll()).map((s) => [s.id, s]));
    expect(byId['codex']).toMatchObject({ status: 'unauthenticated', reason: expect.stringContaining('codex login') });
    expect(byId['claude']).toMatchObject({ status: 'unauthenticated' });
    expect(byId['gemini']).toMatchObject({ status: 'disabled' });
    expect(byId['command']).toMatchObject({ status: 'available' });
    // A login file appearing is picked up on refresh.
    await mkdir(join(home, '.codex'), { recursive: true });
    await writeFile(join(home, '.codex', 'auth.json'), '{}');
    await r.handshakeAll();
    expect(r.isAvailable('codex')).toBe(true);
  });

  it('unknown adapters and bad run options are typed errors', async () => {
    const r = createAdapterRegistry({ config: { order: ['command', 'nonexistent'], adapters: {} }, env: process.env, projectRoot: ROOT, adapters: ADAPTERS.filter((a) => a.id === 'command') });
    await r.handshakeAll();
    expect(r.order()).toEqual(['command']);
    expect(() => r.run('nonexistent', { runId: 'r', cwd: '/tmp', prompt: 'x' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_ADAPTER' }));
    expect(() => r.run('command', { runId: 'r', cwd: 'relative/dir', prompt: 'x' })).toThrow(expect.objectContaining({ code: 'INVALID_RUN_OPTIONS' }));
    expect(() => createAdapterRegistry({ config: { order: 'codex' } as never, env: {}, projectRoot: ROOT })).toThrow(expect.objectContaining({ code: 'INVALID_ADAPTER_CONFIG' }));
  });

  it('compares versions numerically', () => {
    expect(compareVersions('0.169.0', '0.50.0')).toBe(1);
    expect(compareVersions('2.1.197', '2.1.197')).toBe(0);
    expect(compareVersions('0.9.9', '0.10.0')).toBe(-1);
  });
});
