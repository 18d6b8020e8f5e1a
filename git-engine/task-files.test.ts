import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseGateConfig } from './gate-config.js';
import { createGitEngine, type GitEngine } from './index.js';
import { git, makeRepo, refsSnapshot, removeDir, write } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test' }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

function repoWith(config: unknown) {
  const r = makeRepo({ 'README.md': 'hello\n', 'config/app.json': '{}\n', '.thalogos.json': JSON.stringify(config) });
  roots.push(r.root);
  return r;
}

async function newTask(r: { root: string; repo: string }, taskId: string) {
  const worktreePath = path.join(r.root, `wt-${taskId}`);
  const ready = await engine.createWorktree({ repoPath: r.repo, sessionId: 's1', taskId, worktreePath });
  return { worktreePath, ready, files: () => engine.prepareTaskFiles({ repoPath: r.repo, sessionId: 's1', taskId, worktreePath, commit: ready.baseCommit }) };
}

describe('copy of local files into a task worktree', () => {
  it('copies untracked files (paths and globs), skips the missing, tracked and escaping ones with a note, and never commits them', async () => {
    const r = repoWith({ setup: ['npm ci'], copy: ['.env', 'config/*.local.json', 'missing.txt', 'config/app.json', 'outside', 'secrets/*'] });
    write(r.repo, '.env', 'TOKEN=local\n');
    write(r.repo, 'config/dev.local.json', '{"dev":true}\n');
    write(r.repo, 'config/prod.local.json', '{"prod":true}\n');
    fs.writeFileSync(path.join(r.root, 'host-secret'), 'not the task\'s\n');
    fs.symlinkSync(path.join(r.root, 'host-secret'), path.join(r.repo, 'outside'));
    const task = await newTask(r, 't1');

    const result = await task.files();
    expect(result.setup).toEqual(['npm ci']);
    expect(result.setupTimeoutMs).toBe(10 * 60 * 1000);
    expect(result.copied).toEqual(['.env', 'config/dev.local.json', 'config/prod.local.json']);
    expect(result.skipped.map((s) => s.path)).toEqual(['missing.txt', 'config/app.json', 'outside', 'secrets/*']);
    expect(result.skipped.find((s) => s.path === 'outside')?.reason).toMatch(/out of the repository/);
    expect(fs.readFileSync(path.join(task.worktreePath, '.env'), 'utf8')).toBe('TOKEN=local\n');
    expect(fs.existsSync(path.join(task.worktreePath, 'outside'))).toBe(false);

    // The task changes a copied file and adds real work: only the real work is committed.
    write(task.worktreePath, '.env', 'TOKEN=changed by the agent\n');
    write(task.worktreePath, 'feature.txt', 'work\n');
    const committed = await engine.commitWorktree({ repoPath: r.repo, sessionId: 's1', taskId: 't1', worktreePath: task.worktreePath, agent: 'command', message: 'work' });
    expect(committed.changes.map((c) => c.path)).toEqual(['feature.txt']);
    const names = git(r.repo, ['log', '--all', '--name-only', '--format=']).split('\n');
    expect(names).toContain('feature.txt');
    for (const copied of result.copied) expect(names).not.toContain(copied);
    expect(git(r.repo, ['ls-tree', '-r', '--name-only', 'session/s1/task/t1'])).not.toMatch(/\.env|local\.json/);
    // Removing the worktree does not count the copied files as work that would be lost.
    await engine.removeWorktree({ repoPath: r.repo, sessionId: 's1', taskId: 't1', worktreePath: task.worktreePath });
    expect(fs.existsSync(task.worktreePath)).toBe(false);
  });

  it('reads the configuration from the start commit, not from the working copy', async () => {
    const r = repoWith({ copy: ['.env'] });
    write(r.repo, '.env', 'A=1\n');
    write(r.repo, 'b.env', 'B=1\n');
    // Uncommitted edit of the config in the person's checkout: not what the task runs.
    write(r.repo, '.thalogos.json', JSON.stringify({ copy: ['b.env'], setup: ['rm -rf /'] }));
    const result = await (await newTask(r, 't2')).files();
    expect(result).toMatchObject({ setup: [], copied: ['.env'] });
  });

  it('refuses a malformed configuration with GATE_CONFIG_INVALID and copies nothing', async () => {
    const r = repoWith({ copy: ['../host/.env'] });
    write(r.repo, '.env', 'A=1\n');
    const task = await newTask(r, 't3');
    const before = refsSnapshot(r.repo);
    await expect(task.files()).rejects.toMatchObject({ code: 'GATE_CONFIG_INVALID', data: { issues: [{ path: 'copy.0' }] } });
    expect(fs.existsSync(path.join(task.worktreePath, '.env'))).toBe(false);
    expect(refsSnapshot(r.repo)).toBe(before);
  });
});

describe('.thalogos.json validation', () => {
  const refused = (config: unknown) => {
    try {
      parseGateConfig(JSON.stringify(config));
    } catch (error) {
      return error as { code: string; message: string; data: { issues: Array<{ path: string }> } };
    }
    throw new Error(`accepted ${JSON.stringify(config)}`);
  };

  it('accepts setup, copy and a timeout within bounds, each optional', () => {
    expect(parseGateConfig('{}')).toEqual({ gates: [], setup: [], copy: [], setupTimeoutMs: 600_000, environments: [], ci: { requiredStatuses: [], requiredForPromotion: [] } });
    expect(parseGateConfig(JSON.stringify({ setup: ['npm ci'], copy: ['.env', 'config/*.json', 'a/b?.txt'], setupTimeoutMs: 5000 })))
      .toMatchObject({ setup: ['npm ci'], copy: ['.env', 'config/*.json', 'a/b?.txt'], setupTimeoutMs: 5000 });
  });

  it.each([
    [{ setup: 'npm ci' }, 'setup'],
    [{ setup: [''] }, 'setup.0'],
    [{ copy: ['/etc/passwd'] }, 'copy.0'],
    [{ ci: { remote: 'origin; rm -rf /' } }, 'ci.remote'],
    [{ ci: { requiredStatuses: ['../x'] } }, 'ci.requiredStatuses.0'],
    [{ ci: { pushTo: 'origin' } }, 'ci'],
    [{ copy: ['a/../../b'] }, 'copy.0'],
    [{ copy: ['.git/config'] }, 'copy.0'],
    [{ copy: ['sub/.GIT/hooks/x'] }, 'copy.0'],
    [{ copy: ['**/.env'] }, 'copy.0'],
    [{ copy: ['a\\b'] }, 'copy.0'],
    [{ copy: ['./.env'] }, 'copy.0'],
    [{ setupTimeoutMs: 10 }, 'setupTimeoutMs'],
    [{ setupTimeoutMs: 3 * 60 * 60 * 1000 }, 'setupTimeoutMs'],
    [{ setpu: ['npm ci'] }, ''],
  ])('refuses %j with a typed error naming %s', (config, where) => {
    const error = refused(config);
    expect(error.code).toBe('GATE_CONFIG_INVALID');
    expect(error.data.issues[0]?.path).toBe(where);
  });
});
