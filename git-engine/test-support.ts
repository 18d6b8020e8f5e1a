// Test support: real repositories built with native git in temp dirs, and native git as the oracle.
// (Only tests import this file.)
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@localhost',
  GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@localhost',
  GIT_TERMINAL_PROMPT: '0',
};

export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('git', args, { cwd, env: { ...GIT_ENV, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function gitStatus(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string } {
  const r = spawnSync('git', args, { cwd, env: { ...GIT_ENV, ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

export function tempDir(prefix = 'thalogos-ge-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function write(root: string, rel: string, content: string, mode?: number): void {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, content);
  if (mode !== undefined) fs.chmodSync(abs, mode);
}

/** A repository on `main` with a few files and one commit; returns its path inside a fresh temp root. */
export function makeRepo(files: Record<string, string> = { 'README.md': 'hello\n', 'src/a.txt': 'a\nb\nc\n' }): { root: string; repo: string } {
  const root = tempDir();
  const repo = path.join(root, 'repo');
  fs.mkdirSync(repo);
  git(repo, ['init', '-q', '-b', 'main']);
  for (const [rel, content] of Object.entries(files)) write(repo, rel, content);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'initial']);
  return { root, repo };
}

/** `git fsck --strict` must succeed without errors or warnings (dangling objects are fine). */
export function fsckProblems(repo: string): string[] {
  const r = gitStatus(repo, ['fsck', '--strict', '--no-progress']);
  const bad = r.out.split('\n').filter((l) => l.trim() && !l.startsWith('dangling ') && !l.startsWith('Checking'));
  return r.code === 0 ? bad : [`exit ${r.code}`, ...bad];
}

export function refsSnapshot(repo: string): string {
  return git(repo, ['for-each-ref', '--format=%(refname) %(objectname)']);
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A fresh OpenPGP key whose public half is imported into a temp GNUPGHOME, for native git's checks. */
export async function signingKeyFixture(): Promise<{ privateKey: string; gnupg: string }> {
  const openpgp = await import('openpgp');
  const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', userIDs: [{ name: 'Thalogos Test', email: 'thalogos@localhost' }], format: 'armored' });
  const gnupg = tempDir('thalogos-gpg-');
  fs.chmodSync(gnupg, 0o700);
  fs.writeFileSync(path.join(gnupg, 'pub.asc'), publicKey);
  const imported = spawnSync('gpg', ['--batch', '--import', path.join(gnupg, 'pub.asc')], { env: { ...process.env, GNUPGHOME: gnupg }, encoding: 'utf8' });
  if (imported.status !== 0) throw new Error(`gpg --import failed: ${imported.stderr}`);
  return { privateKey, gnupg };
}
