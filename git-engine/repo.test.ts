// Which branch is "main": native git makes the repositories.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitEngine, type GitEngine } from './index.js';
import { git, makeRepo, removeDir } from './test-support.js';

let engine: GitEngine;
const roots: string[] = [];
beforeAll(() => { engine = createGitEngine({ orchestratorVersion: '0.1.0-test' }); });
afterAll(async () => { await engine.close(); });
afterEach(() => { for (const r of roots.splice(0)) removeDir(r); });

describe('main branch', () => {
  it('prefers master when HEAD points to master, although a stale main exists', async () => {
    const { root, repo } = makeRepo();
    roots.push(root);
    git(repo, ['branch', '-m', 'main', 'master']);
    git(repo, ['branch', 'main']); // stale
    git(repo, ['commit', '-q', '--allow-empty', '-m', 'newer on master']);
    const info = await engine.inspectRepository(repo);
    expect(info.mainBranch).toBe('master');
    expect(info.head).toBe(git(repo, ['rev-parse', 'master']));
  });

  it('prefers main when HEAD points to main and master exists too; main, then master, when HEAD is elsewhere', async () => {
    const { root, repo } = makeRepo();
    roots.push(root);
    git(repo, ['branch', 'master']);
    expect((await engine.inspectRepository(repo)).mainBranch).toBe('main');
    git(repo, ['checkout', '-q', '-b', 'feature']);
    expect((await engine.inspectRepository(repo)).mainBranch).toBe('main');
    git(repo, ['branch', '-D', 'main']);
    expect((await engine.inspectRepository(repo)).mainBranch).toBe('master');
  });
});
