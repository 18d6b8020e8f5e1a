// Environment promotion through the real runtime (in-process Fetch handler): checkpoints made by
// Saves of command-agent tasks, promotions with gates and approvals, release/* checked with native git.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionViewSchema } from '../../contracts/index.js';
import { waitFor } from '../../tests/helpers/api.js';
import { git, makeRepo } from '../../tests/helpers/git-repo.js';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';

const ADMIN = 'promotion-admin-token-0123456789abcdef';

const CONFIG = {
  environments: [
    { name: 'dev' },
    { name: 'staging', gates: ['test -f ok.txt'] },
    { name: 'prod', approvals: { count: 2, role: 'reviewer' } },
  ],
};

describe('promotion routes, in-process', () => {
  let tmp: string;
  let server: RunningServer;
  const start = async () => {
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: ADMIN, THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: path.join(tmp, 'none.json') }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
  };
  const call = async (token: string, method: string, url: string, body?: unknown) => {
    const response = await server.handle(new Request(`http://thalogos.local${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }));
    const text = await response.text();
    return { status: response.status, body: (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  };
  const api = (method: string, url: string, body?: unknown) => call(ADMIN, method, url, body);
  const auditCount = async () => (await api('GET', '/api/audit/verify')).body.count as number;
  const branch = (repo: string, name: string): string | null => {
    try { return git(repo, 'rev-parse', '--verify', '-q', `refs/heads/${name}`); } catch { return null; }
  };

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-promote-'));
    await start();
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('promotes fast-forward only, enforces gates and approvals, rolls an environment back, and replays it all', async () => {
    const repo = makeRepo(path.join(tmp, 'repo'), { '.thalogos.json': JSON.stringify(CONFIG) });
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'promote' })).body.id as string;
    const token = async (name: string, role: string) =>
      (await api('POST', '/api/tokens', { name, role, sessions: [{ id: sid, role }] })).body.token as string;
    const [olivia, rita, ravi, vic] = [await token('olivia', 'operator'), await token('rita', 'reviewer'), await token('ravi', 'reviewer'), await token('vic', 'viewer')];
    const view = async () => SessionViewSchema.parse((await api('GET', `/api/sessions/${sid}`)).body);

    // Two checkpoints, each a Save of a command-agent task: cp1 adds one.txt, cp2 adds ok.txt.
    const saveTask = async (prompt: string) => {
      const added = await api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt });
      await waitFor(async () => (await view()).tasks.find((t) => t.id === added.body.id)?.status === 'ready_for_review', { what: 'the task' });
      const saveId = (await api('POST', `/api/sessions/${sid}/save`, {})).body.saveId as string;
      const done = await waitFor(async () => (await view()).timeline.find((e) => e.kind === 'save' && e.saveId === saveId), { what: 'the Save' });
      if (done.kind !== 'save' || done.result.status !== 'published') throw new Error(JSON.stringify(done));
      // The branch pruning after a published Save writes an audit record: let it land before the
      // log is counted below.
      await waitFor(async () => ((await api('GET', `/api/sessions/${sid}/events?after=0&limit=1000`)).body.events as Array<{ type: string; data: { saveId?: string } }>)
        .some((entry) => entry.type === 'GIT.BRANCHES_PRUNED' && entry.data.saveId === saveId), { what: 'the pruning after the Save' });
      return { tag: done.result.tag, commit: done.result.commit };
    };
    const cp1 = await saveTask('echo one > one.txt');
    const cp2 = await saveTask('echo ok > ok.txt');

    const promote = async (who: string, checkpoint: string, to: string) => call(who, 'POST', `/api/sessions/${sid}/promotions`, { checkpoint, to });
    const finished = async (promotionId: string) => {
      const entry = await waitFor(async () => (await view()).timeline.find((e) => e.kind === 'promotion' && e.promotionId === promotionId), { what: `promotion ${promotionId}` });
      if (entry.kind !== 'promotion') throw new Error('not a promotion');
      return entry;
    };

    // dev takes any checkpoint of main.
    const toDev = await promote(olivia, cp1.tag, 'dev');
    expect(toDev.status, JSON.stringify(toDev.body)).toBe(202);
    expect((await finished(toDev.body.promotionId)).result).toMatchObject({ status: 'promoted', commit: cp1.commit, previous: null });
    expect(branch(repo, 'release/dev')).toBe(cp1.commit);

    // staging only takes what dev holds (or older): refused before anything is logged.
    let before = await auditCount();
    const early = await promote(olivia, cp2.tag, 'staging');
    expect([early.status, early.body.error.code]).toEqual([409, 'PROMOTION_NOT_ELIGIBLE']);
    const unknown = await promote(olivia, cp2.tag, 'qa');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'ENVIRONMENT_NOT_FOUND']);
    expect(await auditCount()).toBe(before);

    expect((await finished((await promote(olivia, cp2.tag, 'dev')).body.promotionId)).result.status).toBe('promoted');
    // Back to an older checkpoint: not a fast-forward.
    before = await auditCount();
    const backwards = await promote(olivia, cp1.tag, 'dev');
    expect([backwards.status, backwards.body.error.code, backwards.body.error.data.holds]).toEqual([409, 'PROMOTION_NOT_FAST_FORWARD', cp2.commit]);
    expect(await auditCount()).toBe(before);
    expect(branch(repo, 'release/dev')).toBe(cp2.commit);

    // staging's gate needs ok.txt: cp1 fails it and release/staging does not move.
    const failing = await finished((await promote(olivia, cp1.tag, 'staging')).body.promotionId);
    expect(failing.result.status).toBe('gates_failed');
    expect(branch(repo, 'release/staging')).toBeNull();
    expect((await finished((await promote(olivia, cp2.tag, 'staging')).body.promotionId)).result.status).toBe('promoted');
    expect(branch(repo, 'release/staging')).toBe(cp2.commit);

    // prod needs two reviewers' approvals; the author cannot approve, a viewer cannot, nobody twice.
    const toProd = await promote(olivia, cp2.tag, 'prod');
    expect(toProd.status).toBe(202);
    const pid = toProd.body.promotionId as string;
    expect((await view()).pendingPromotions).toMatchObject([{ promotionId: pid, environment: 'prod', state: 'awaiting_approval', requestedBy: 'olivia', required: { count: 2, role: 'reviewer' } }]);
    const again = await promote(olivia, cp2.tag, 'prod');
    expect([again.status, again.body.error.code]).toEqual([409, 'PROMOTION_IN_PROGRESS']);
    const approve = (who: string) => call(who, 'POST', `/api/sessions/${sid}/promotions/${pid}/approve`, {});
    const self = await approve(olivia);
    expect([self.status, self.body.error.code]).toEqual([403, 'SELF_APPROVAL']);
    expect((await approve(vic)).status).toBe(403);
    expect((await approve(rita)).status).toBe(202);
    const twice = await approve(rita);
    expect([twice.status, twice.body.error.code]).toEqual([409, 'ALREADY_APPROVED']);
    expect(branch(repo, 'release/prod')).toBeNull();
    expect((await view()).pendingPromotions[0]?.approvals.map((a) => a.by)).toEqual(['rita']);
    expect((await approve(ravi)).status).toBe(202);
    const prod = await finished(pid);
    expect(prod.result).toMatchObject({ status: 'promoted', commit: cp2.commit });
    expect(prod.approvals.map((a) => a.by)).toEqual(['rita', 'ravi']);
    expect(branch(repo, 'release/prod')).toBe(cp2.commit);
    const unknownPromotion = await call(rita, 'POST', `/api/sessions/${sid}/promotions/pr-nope/approve`, {});
    expect([unknownPromotion.status, unknownPromotion.body.error.code]).toEqual([404, 'PROMOTION_NOT_FOUND']);

    // Environment rollback: release/dev back to cp1; main untouched.
    const mainBefore = git(repo, 'rev-parse', 'main');
    const rolled = await call(olivia, 'POST', `/api/sessions/${sid}/environments/dev/rollback`, { checkpoint: cp1.tag });
    expect(rolled.status, JSON.stringify(rolled.body)).toBe(200);
    expect(branch(repo, 'release/dev')).toBe(cp1.commit);
    expect(git(repo, 'rev-parse', 'main')).toBe(mainBefore);

    const lanes = (await call(vic, 'GET', `/api/sessions/${sid}/environments`)).body.environments;
    expect(lanes.map((e: { name: string; checkpoint: string | null }) => [e.name, e.checkpoint])).toEqual([['dev', cp1.tag], ['staging', cp2.tag], ['prod', cp2.tag]]);

    const types = (await api('GET', `/api/sessions/${sid}/events?after=0&limit=1000`)).body.events.map((e: { type: string }) => e.type);
    for (const type of ['PROMOTION.REQUEST', 'PROMOTION.APPROVE', 'PROMOTION.COMPLETED', 'ENVIRONMENT.ROLLED_BACK']) expect(types).toContain(type);

    // Replay after a restart shows the same promotions on the timeline.
    const timeline = (await view()).timeline.filter((e) => e.kind === 'promotion' || e.kind === 'environment_rollback');
    expect(timeline.map((e) => e.kind)).toEqual(['promotion', 'promotion', 'promotion', 'promotion', 'promotion', 'environment_rollback']);
    await server.close();
    await start();
    expect((await view()).timeline.filter((e) => e.kind === 'promotion' || e.kind === 'environment_rollback')).toEqual(timeline);
  }, 120_000);

  it('completes a promotion the runtime stopped during its gates with INTERRUPTED at restart; release/{env} did not move', async () => {
    const repo = makeRepo(path.join(tmp, 'slow'), { '.thalogos.json': JSON.stringify({ environments: [{ name: 'slow', gates: ['sleep 30'] }] }) });
    const sid = (await api('POST', '/api/sessions', { repoPath: repo, title: 'slow' })).body.id as string;
    const tag = `session-start/${sid}`;
    const asked = await api('POST', `/api/sessions/${sid}/promotions`, { checkpoint: tag, to: 'slow' });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    expect(SessionViewSchema.parse((await api('GET', `/api/sessions/${sid}`)).body).pendingPromotions).toMatchObject([{ state: 'running' }]);
    await server.close();
    await start();
    const view = SessionViewSchema.parse((await api('GET', `/api/sessions/${sid}`)).body);
    expect(view.pendingPromotions).toEqual([]);
    expect(view.timeline.find((e) => e.kind === 'promotion')).toMatchObject({ promotionId: asked.body.promotionId, result: { status: 'error', error: { code: 'INTERRUPTED' } } });
    expect(branch(repo, 'release/slow')).toBeNull();
  }, 90_000);
});
