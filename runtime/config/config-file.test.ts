import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { loadConfigFile, loadSigningKey } from './config-file.js';

describe('the runtime config file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'thalogos-cfg-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const write = async (content: string) => {
    const file = path.join(dir, 'config.json');
    await writeFile(file, content);
    return file;
  };

  it('is optional: a missing file means the defaults', async () => {
    const config = await loadConfigFile(path.join(dir, 'absent.json'));
    expect(config.sessions).toEqual({ maxParallel: 4, taskTimeoutMs: 1_800_000, maxRetries: 2 });
    expect(config.adapters.order).toContain('command');
  });

  it('reads adapter, session and git settings', async () => {
    const file = await write(JSON.stringify({
      adapters: { order: ['claude', 'command'], adapters: { claude: { enabled: true, model: 'sonnet', args: ['--x'], env: { A: 'b' }, timeoutMs: 5000 } } },
      sessions: { maxParallel: 2, taskTimeoutMs: 60_000, maxRetries: 0 },
      git: { committer: { name: 'Bot', email: 'bot@example.com' } },
    }));
    const config = await loadConfigFile(file);
    expect(config.adapters.order).toEqual(['claude', 'command']);
    expect(config.adapters.adapters.claude).toMatchObject({ enabled: true, model: 'sonnet', timeoutMs: 5000 });
    expect(config.sessions.maxParallel).toBe(2);
  });

  it('webhook delivery settings: defaults, overrides, and a bad value stops the start with a typed error', async () => {
    expect((await loadConfigFile(path.join(dir, 'absent.json'))).webhooks).toEqual({ timeoutMs: 10_000, maxAttempts: 8, backoffBaseMs: 5_000, backoffMaxMs: 3_600_000 });
    const file = await write(JSON.stringify({ webhooks: { timeoutMs: 500, maxAttempts: 3 } }));
    expect((await loadConfigFile(file)).webhooks).toMatchObject({ timeoutMs: 500, maxAttempts: 3, backoffBaseMs: 5_000 });
    for (const bad of [{ maxAttempts: 0 }, { timeoutMs: 'soon' }, { backoffBaseMs: 1000, backoffMaxMs: 100 }, { retries: 3 }]) {
      const error = await loadConfigFile(await write(JSON.stringify({ webhooks: bad }))).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('CONFIG_INVALID');
      expect((error as ConfigError).message).toContain('webhooks');
    }
  });

  it('the sandbox is on unless the file says "off"; network "none" per adapter; anything else is refused', async () => {
    expect((await loadConfigFile(path.join(dir, 'absent.json'))).sandbox).toBe('on');
    const off = await loadConfigFile(await write(JSON.stringify({ sandbox: 'off', adapters: { adapters: { codex: { network: 'none' } } } })));
    expect(off.sandbox).toBe('off');
    expect(off.adapters.adapters.codex?.network).toBe('none');
    await expect(loadConfigFile(await write(JSON.stringify({ sandbox: false })))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(loadConfigFile(await write(JSON.stringify({ adapters: { adapters: { codex: { network: 'off' } } } })))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('refuses invalid JSON, unknown keys and wrong types with every problem listed', async () => {
    await expect(loadConfigFile(await write('{ nope'))).rejects.toThrow(/not valid JSON/);
    await expect(loadConfigFile(await write('{"sesions": {}}'))).rejects.toThrow(ConfigError);
    const error = await loadConfigFile(await write(JSON.stringify({ sessions: { maxParallel: 0, maxRetries: 'x' } }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.join('\n')).toMatch(/sessions\.maxParallel/);
    expect((error as ConfigError).issues.join('\n')).toMatch(/sessions\.maxRetries/);
    await expect(loadConfigFile(dir)).rejects.toThrow(/cannot read config file/);
  });

  it('git.pruneTaskBranches: merged after the Save and abandoned after 7 days by default; bad values refused field by field', async () => {
    expect((await loadConfigFile(path.join(dir, 'absent.json'))).git.pruneTaskBranches).toEqual({ merged: 'after-save', abandoned: 7 });
    expect((await loadConfigFile(await write(JSON.stringify({ git: {} })))).git.pruneTaskBranches).toEqual({ merged: 'after-save', abandoned: 7 });
    const set = await loadConfigFile(await write(JSON.stringify({ git: { pruneTaskBranches: { merged: 3, abandoned: 'never' } } })));
    expect(set.git.pruneTaskBranches).toEqual({ merged: 3, abandoned: 'never' });
    expect((await loadConfigFile(await write(JSON.stringify({ git: { pruneTaskBranches: { merged: 'never' } } })))).git.pruneTaskBranches).toEqual({ merged: 'never', abandoned: 7 });
    const cases: Array<[unknown, RegExp]> = [
      [{ merged: 'sometimes' }, /^git\.pruneTaskBranches\.merged: must be 'after-save', 'never' or a whole number of days/],
      [{ merged: 'after-save', abandoned: 'after-save' }, /^git\.pruneTaskBranches\.abandoned: must be 'never' or a whole number of days/],
      [{ abandoned: -1 }, /^git\.pruneTaskBranches\.abandoned: /],
      [{ abandoned: 2.5 }, /^git\.pruneTaskBranches\.abandoned: /],
      [{ abandoned: 3651 }, /^git\.pruneTaskBranches\.abandoned: /],
      [{ abandoned: '7' }, /^git\.pruneTaskBranches\.abandoned: /],
      [{ keep: true }, /^git\.pruneTaskBranches: .*keep/],
      ['never', /^git\.pruneTaskBranches: /],
    ];
    for (const [value, issue] of cases) {
      const error = await loadConfigFile(await write(JSON.stringify({ git: { pruneTaskBranches: value } }))).catch((e: unknown) => e);
      expect(error, JSON.stringify(value)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('CONFIG_INVALID');
      expect((error as ConfigError).issues.join('\n'), JSON.stringify(value)).toMatch(issue);
    }
  });

  it('loads a signing key from a file relative to the config, with its passphrase from the environment', async () => {
    await writeFile(path.join(dir, 'key.asc'), '-----BEGIN PGP PRIVATE KEY BLOCK-----\n...');
    const config = await loadConfigFile(await write(JSON.stringify({ git: { signingKeyFile: 'key.asc', signingKeyPassphraseEnv: 'PASS' } })));
    expect(await loadSigningKey(config, { PASS: 'secret' }, dir)).toEqual({ armoredPrivateKey: '-----BEGIN PGP PRIVATE KEY BLOCK-----\n...', passphrase: 'secret' });
    const missing = await loadConfigFile(await write(JSON.stringify({ git: { signingKeyFile: 'absent.asc' } })));
    await expect(loadSigningKey(missing, {}, dir)).rejects.toThrow(ConfigError);
  });
});
