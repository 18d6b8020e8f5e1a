import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  const cwd = '/srv/work';

  it('uses the documented defaults', () => {
    const config = loadConfig({ env: {}, cwd });
    expect(config).toMatchObject({ port: 7420, host: '127.0.0.1', dataDir: '/srv/work/.thalogos', adminToken: null });
    expect(config.repoRoots).toEqual(['/srv/work', '/srv/work/.thalogos']);
    expect(config.configFile).toBe('/srv/work/.thalogos/config.json');
  });

  it('reads the environment, and flags win over it', () => {
    const env = { THALOGOS_PORT: '9000', THALOGOS_HOST: '0.0.0.0', THALOGOS_DATA_DIR: 'd', THALOGOS_REPO_ROOTS: ['/a', 'b'].join(path.delimiter), THALOGOS_ADMIN_TOKEN: 'x'.repeat(20) };
    const config = loadConfig({ env, cwd, flags: { port: '9100' } });
    expect(config).toMatchObject({ port: 9100, host: '0.0.0.0', dataDir: '/srv/work/d', adminToken: 'x'.repeat(20) });
    expect(config.repoRoots).toEqual(['/a', '/srv/work/b']);
  });

  it('puts task worktrees under the data dir unless THALOGOS_WORKTREE_DIR names a directory (cluster: the shared filesystem)', () => {
    expect(loadConfig({ env: {}, cwd }).worktreeDir).toBe('/srv/work/.thalogos/worktrees');
    expect(loadConfig({ env: { THALOGOS_DATA_DIR: 'd' }, cwd }).worktreeDir).toBe('/srv/work/d/worktrees');
    expect(loadConfig({ env: { THALOGOS_WORKTREE_DIR: 'shared/wt' }, cwd }).worktreeDir).toBe('/srv/work/shared/wt');
  });

  it('repairs the event log only when the operator says so (--repair-log or THALOGOS_REPAIR_LOG=1)', () => {
    expect(loadConfig({ env: {}, cwd }).repairLog).toBe(false);
    expect(loadConfig({ env: { THALOGOS_REPAIR_LOG: 'yes' }, cwd }).repairLog).toBe(false);
    expect(loadConfig({ env: { THALOGOS_REPAIR_LOG: '1' }, cwd }).repairLog).toBe(true);
    expect(loadConfig({ env: {}, cwd, flags: { repairLog: true } }).repairLog).toBe(true);
  });

  it('refuses bad values with a typed error listing each problem', () => {
    expect(() => loadConfig({ env: { THALOGOS_PORT: 'http' }, cwd })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { THALOGOS_PORT: '70000' }, cwd })).toThrow(/port/);
    expect(() => loadConfig({ env: { THALOGOS_ADMIN_TOKEN: 'short' }, cwd })).toThrow(/at least 16/);
    expect(() => loadConfig({ env: {}, cwd, flags: { logLevel: 'loud' } })).toThrow(ConfigError);
  });
});
