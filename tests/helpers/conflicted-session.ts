import { waitFor } from './api.js';
import { settle } from './replay-oracle.js';
import type { RuntimeUnderTest } from './runtime-under-test.js';

/**
 * A session on a new repository whose Save stopped on a conflict: two command tasks rewrite line 2
 * of a.txt differently. Returns the settled view (status awaiting_review) and the open report.
 */
export async function conflictedSession(rt: RuntimeUnderTest, name: string): Promise<{ sid: string; repo: string; view: any; report: any }> {
  const repo = rt.newRepo(name);
  const created = await rt.api('POST', '/api/sessions', { repoPath: repo, title: name });
  if (created.status !== 201) throw new Error(`create session: ${created.status} ${JSON.stringify(created.body)}`);
  const sid = created.body.id as string;
  for (const text of ['from-first', 'from-second']) {
    const added = await rt.api('POST', `/api/sessions/${sid}/tasks`, { agent: 'command', prompt: `printf 'line1\\n${text}\\nline3\\n' > a.txt` });
    if (added.status !== 202) throw new Error(`add task: ${added.status} ${JSON.stringify(added.body)}`);
  }
  await settle(rt, sid);
  const saved = await rt.api('POST', `/api/sessions/${sid}/save`, {});
  if (saved.status !== 202) throw new Error(`save: ${saved.status} ${JSON.stringify(saved.body)}`);
  const view = await waitFor(async () => {
    const body = (await rt.api('GET', `/api/sessions/${sid}`)).body;
    return body.status === 'awaiting_review' && body.pendingSave === null ? body : null;
  }, { what: 'the Save to stop on the conflict', timeoutMs: 30_000 });
  if (view.lastSave?.result?.status !== 'conflict') throw new Error(`expected a conflict, got ${JSON.stringify(view.lastSave?.result).slice(0, 500)}`);
  return { sid, repo, view, report: view.lastSave.result.report };
}

/** How many log entries the session has, and the head the live actor reflects. */
export async function logState(rt: RuntimeUnderTest, sid: string): Promise<{ entries: number; head: number; lastHash: string | null; chain: number }> {
  const events = await rt.api('GET', `/api/sessions/${sid}/events?after=0&limit=10000`);
  const audit = await rt.api('GET', '/api/audit/verify');
  const list = events.body.events as Array<{ hash: string }>;
  return { entries: list.length, head: events.body.head as number, lastHash: list.at(-1)?.hash ?? null, chain: audit.body.count as number };
}
