// A hostile `command` task, run through the real runtime (a `thalogos serve` child process, real
// LevelDB, real git, real bubblewrap) with an operator token. Every escape that worked before the
// sandbox (issue 11) is tried in one script; each must fail while the same task's legitimate work
// (edit files, run a test command, the engine commits) succeeds.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, waitFor } from './helpers/api.js';
import { git, makeRepo } from './helpers/git-repo.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'hostile-admin-token-0123456789abcdef';

describe('a hostile command task inside the sandbox', () => {
  let tmp: string;
  let server: ServerProcess;
  let repo: string;
  let other: string;
  let data: string;
  let outside: string;
  let view: { status: string; commit: string | null; worktreePath: string };
  let output = '';
  let tokensBefore = 0;
  let sid = '';
  let taskId = '';
  let mainBefore = '';

  beforeAll(async () => {
    // Outside /tmp: the sandbox's /tmp is private, so paths there would be unreachable anyway and
    // prove nothing about the read-only system and the hidden data dir.
    tmp = await mkdtemp(path.join(os.homedir(), '.thalogos-hostile-'));
    repo = makeRepo(path.join(tmp, 'repo'), { 'test.sh': 'test "$(cat legit.txt)" = legit && echo tests-pass\n' });
    other = makeRepo(path.join(tmp, 'other'));
    mainBefore = git(repo, 'rev-parse', 'main');
    data = path.join(tmp, 'data');
    outside = path.join(tmp, 'outside');
    mkdirSync(outside);
    server = await startServerProcess({ THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: data, THALOGOS_REPO_ROOTS: tmp });
    const admin = apiClient(server.url, ADMIN);
    // Never run this script unconfined (it tries to kill the server): refuse unless the sandbox is on.
    const agents = (await admin('GET', '/api/agents')).body.agents as Array<{ id: string; status: string; sandbox: { mode: string } }>;
    const command = agents.find((a) => a.id === 'command');
    if (command?.status !== 'available' || command.sandbox.mode !== 'bubblewrap') throw new Error(`the sandbox is not on: ${JSON.stringify(command)}`);
    const operatorToken = (await admin('POST', '/api/tokens', { name: 'op', role: 'operator' })).body.token as string;
    tokensBefore = (await admin('GET', '/api/tokens')).body.tokens.length;
    const api = apiClient(server.url, operatorToken);
    sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'hostile' })).body.id as string;
    const serverPid = server.child.pid!;
    const script = String.raw`
exec 2>&1
try() { echo "== $1"; shift; "$@"; echo "rc=$?"; }
# 1. The admin token: from the server's environment, from any process, from our own env.
try ppid-environ sh -c 'tr "\0" "\n" < /proc/$PPID/environ | grep THALOGOS_ADMIN'
try server-environ sh -c 'tr "\0" "\n" < /proc/${serverPid}/environ | grep THALOGOS_ADMIN'
try any-environ sh -c 'cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | grep THALOGOS_ADMIN'
try own-env sh -c 'env | grep THALOGOS_ADMIN'
# 2. Mint an admin token with whatever was found (and with a guess).
FOUND=$(cat /proc/[0-9]*/environ 2>/dev/null | tr "\0" "\n" | sed -n "s/^THALOGOS_ADMIN_TOKEN=//p" | head -1)
try mint curl -s -m 5 -X POST -H "authorization: Bearer \${FOUND:-none}" -H 'content-type: application/json' -d '{"name":"pwn","role":"admin"}' ${server.url}/api/tokens
# 3. The data dir: list its LevelDB files, write into it.
try list-db ls -la ${data}/db
try find-ldb sh -c 'find ${tmp} \( -name "*.ldb" -o -name CURRENT -o -name "MANIFEST-*" \) 2>/dev/null | head'
try write-data sh -c 'echo pwned > ${data}/pwned'
# 4. Outside the worktree: another directory, the repository's checkout, another repository.
try write-outside sh -c 'echo pwned > ${outside}/pwned'
try write-checkout sh -c 'echo pwned > ${repo}/pwned.txt'
try write-other sh -c 'echo pwned > ${other}/pwned.txt'
# 5. Refs and hooks: plant a branch here and in another repository, install a hook.
try ref-here git update-ref refs/heads/planted HEAD
try ref-main git update-ref -d refs/heads/main
try ref-other git -C ${other} update-ref refs/heads/planted HEAD
try hook sh -c 'd=$(git rev-parse --git-common-dir); echo "echo hooked" > "$d/hooks/post-checkout" && chmod +x "$d/hooks/post-checkout"'
try config sh -c 'git config --file "$(git rev-parse --git-common-dir)/config" core.hooksPath /tmp'
# 6. The server: kill it by pid and by name.
try kill-server kill -9 ${serverPid}
try kill-group kill -9 -- -${serverPid}
# The legitimate work: edit files, run the project's test command.
echo legit > legit.txt
sed -i 's/line2/line2 edited/' a.txt
try tests sh ./test.sh
try commit git -c user.name=agent -c user.email=agent@example.com commit -qam 'an agent commits too'
echo all-attempts-made
`;
    taskId = (await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: script })).body.id as string;
    view = await waitFor(async () => {
      const body = (await api('GET', `/api/sessions/${sid}/tasks/${taskId}`)).body;
      return ['ready_for_review', 'failed'].includes(body.status) ? body : null;
    }, { what: 'the hostile task to finish', timeoutMs: 60_000 });
    const events = (await api('GET', `/api/sessions/${sid}/events?taskId=${taskId}`)).body.events as Array<{ type: string; data: { event?: { type: string; status?: string; output?: string } } }>;
    output = events.filter((e) => e.type === 'AGENT.EVENT' && e.data.event?.type === 'command' && e.data.event.status !== 'output')
      .map((e) => e.data.event?.output ?? '').join('\n');
  }, 120_000);

  afterAll(async () => {
    await server?.kill9();
    await rm(tmp, { recursive: true, force: true });
  });

  it('the legitimate work succeeds: files edited, the test command passes, the engine commits', () => {
    expect(view.status, output).toBe('ready_for_review');
    expect(output).toContain('all-attempts-made');
    expect(output).toMatch(/== tests\ntests-pass\nrc=0/);
    // The agent's own commit works in its scratch git state; the engine's commit is what counts.
    expect(output).toMatch(/== commit\nrc=0/);
    expect(view.commit).toMatch(/^[0-9a-f]{40}$/);
    const branch = `session/${sid}/task/${taskId}`;
    expect(git(repo, 'show', `${branch}:legit.txt`)).toBe('legit');
    expect(git(repo, 'show', `${branch}:a.txt`)).toContain('line2 edited');
  });

  it('no admin token is read from /proc or the environment, and none is minted', async () => {
    expect(output).not.toContain(ADMIN);
    expect(output).toMatch(/== ppid-environ\nrc=1/);
    expect(output).toMatch(/== server-environ\n[^\n]*No such file[^\n]*\nrc=1/);
    expect(output).toMatch(/== own-env\nrc=1/);
    const admin = apiClient(server.url, ADMIN);
    const tokens = (await admin('GET', '/api/tokens')).body.tokens as Array<{ name: string; role: string }>;
    expect(tokens).toHaveLength(tokensBefore);
    expect(tokens.filter((t) => t.role === 'admin').map((t) => t.name)).toEqual(['admin']);
  });

  it('no LevelDB file of the data dir is listed, and nothing is written into it', () => {
    // (Other Thalogos data dirs on the machine are out of scope here: this server's is the secret.)
    expect(output).not.toContain(`${path.join(data, 'db')}/`);
    expect(output).toMatch(/== list-db\n[^\n]*No such file or directory\nrc=2/);
    expect(existsSync(path.join(data, 'pwned'))).toBe(false);
    expect(output).toMatch(/== write-data\n[^\n]*Read-only file system[^\n]*\nrc=2/);
    // The data dir itself is intact and was really there to find.
    expect(readdirSync(path.join(data, 'db'))).toContain('CURRENT');
  });

  it('nothing outside the worktree is written', () => {
    expect(existsSync(path.join(outside, 'pwned'))).toBe(false);
    expect(existsSync(path.join(repo, 'pwned.txt'))).toBe(false);
    expect(existsSync(path.join(other, 'pwned.txt'))).toBe(false);
    expect(output).toMatch(/== write-outside\n[^\n]*(Read-only file system|nonexistent|No such file)[^\n]*\nrc=\d+/);
  });

  it('no ref is planted in this or another repository, main did not move, no hook or config installed', () => {
    expect(git(repo, 'for-each-ref', '--format=%(refname)')).not.toContain('planted');
    expect(git(other, 'for-each-ref', '--format=%(refname)')).not.toContain('planted');
    expect(git(repo, 'rev-parse', 'main')).toBe(mainBefore);
    expect(existsSync(path.join(repo, '.git', 'hooks', 'post-checkout'))).toBe(false);
    expect(readFileSync(path.join(repo, '.git', 'config'), 'utf8')).not.toContain('hooksPath');
    expect(output).toMatch(/== ref-here\n[^\n]*(Read-only file system|unable to)/);
  });

  it('the server is not killable: it still serves, and saw no restart', async () => {
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/healthz`)).ok).toBe(true);
    expect(output).toMatch(/== kill-server\n(?:[^\n]*No such process[^\n]*\n)?rc=1/);
  });

  it('the sandbox is reported as on by GET /api/agents', async () => {
    const agents = (await apiClient(server.url, ADMIN)('GET', '/api/agents')).body.agents as Array<{ id: string; sandbox: { mode: string } }>;
    expect(agents.find((a) => a.id === 'command')?.sandbox.mode).toBe('bubblewrap');
  });
});

