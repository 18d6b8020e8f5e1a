// Checkpoint tags `checkpoint/{YYYY-MM-DD}-{seq}`: naming the next one and listing the timeline.
import git from 'isomorphic-git';
import { GitEngineError } from './errors.js';
import { listRefsUnder, readRef } from './refs.js';
import type { Repo } from './repo.js';
import { reservedCheckpointTags } from './save-journal.js';

export interface Checkpoint {
  tag: string; commit: string; date: string; message: string;
  /** The `Log-Head: <seq> <hash>` trailer of the tag (the session's event log head at the Save); null when absent. */
  logHead: { seq: number; hash: string } | null;
  /** The session whose start this checkpoint records (its `Session-Start` trailer); null for a Save's checkpoint. */
  sessionStart: string | null;
}

const LOG_HEAD_RE = /^Log-Head: (\d{1,16}) ([0-9a-f]{16,128})$/m;

/** The Log-Head trailer of a checkpoint message (the last one wins, as with git's trailer reader). */
export function parseLogHead(message: string): Checkpoint['logHead'] {
  const all = [...message.matchAll(new RegExp(LOG_HEAD_RE.source, 'gm'))];
  const m = all[all.length - 1];
  if (!m) return null;
  const seq = Number(m[1]);
  return Number.isSafeInteger(seq) ? { seq, hash: m[2] as string } : null;
}

const SESSION_START_RE = /^Session-Start: ([A-Za-z0-9_-]{1,100})$/m;

const NAME_RE = /^checkpoint\/(\d{4}-\d{2}-\d{2})-(\d+)$/;
const START_RE = /^session-start\/[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function utcDate(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

export async function nextCheckpointName(repo: Repo, nowMs: number): Promise<string> {
  const date = utcDate(nowMs);
  let max = 0;
  // A publish interrupted after main moved has its tag name in its journal, not yet in refs/tags:
  // that name stays reserved so its recovery never finds it taken.
  const names = [...(await listRefsUnder(repo, 'refs/tags/checkpoint')).map((r) => r.slice('refs/tags/'.length)), ...(await reservedCheckpointTags(repo.gitdir))];
  for (const name of names) {
    const m = NAME_RE.exec(name);
    if (m && m[1] === date) max = Math.max(max, Number(m[2]));
  }
  return `checkpoint/${date}-${max + 1}`;
}

/** The commit a checkpoint tag points to (peeling the annotated tag). */
export async function checkpointCommit(repo: Repo, tag: string): Promise<string> {
  const oid = await readRef(repo, `refs/tags/${tag}`);
  if (!oid) throw new GitEngineError('CHECKPOINT_NOT_FOUND', `no tag ${tag}`, { tag });
  const { type } = await git.readObject({ fs: repo.fs, gitdir: repo.gitdir, oid, cache: repo.cache });
  if (type === 'commit') return oid;
  if (type !== 'tag') throw new GitEngineError('CHECKPOINT_NOT_FOUND', `${tag} does not point to a commit`, { tag });
  const { tag: t } = await git.readTag({ fs: repo.fs, gitdir: repo.gitdir, oid, cache: repo.cache });
  if (t.type !== 'commit') throw new GitEngineError('CHECKPOINT_NOT_FOUND', `${tag} does not point to a commit`, { tag });
  return t.object;
}

/** Saves' checkpoints and sessions' start checkpoints (`session-start/{id}`), oldest first. */
export async function listCheckpoints(repo: Repo): Promise<Checkpoint[]> {
  const out: Array<Checkpoint & { seq: number; day: string }> = [];
  const refs = [...(await listRefsUnder(repo, 'refs/tags/checkpoint')), ...(await listRefsUnder(repo, 'refs/tags/session-start'))];
  for (const ref of refs) {
    const name = ref.slice('refs/tags/'.length);
    const m = NAME_RE.exec(name);
    if (!m && !START_RE.test(name)) continue;
    const oid = await readRef(repo, ref);
    if (!oid) continue;
    const obj = await git.readObject({ fs: repo.fs, gitdir: repo.gitdir, oid, cache: repo.cache });
    let commit = oid;
    let date = '';
    let message = '';
    if (obj.type === 'tag') {
      const { tag } = await git.readTag({ fs: repo.fs, gitdir: repo.gitdir, oid, cache: repo.cache });
      commit = tag.object;
      date = new Date(tag.tagger.timestamp * 1000).toISOString();
      message = tag.message.split('\n-----BEGIN PGP SIGNATURE-----')[0]?.trim() ?? '';
    } else {
      const { commit: c } = await git.readCommit({ fs: repo.fs, gitdir: repo.gitdir, oid, cache: repo.cache });
      date = new Date(c.committer.timestamp * 1000).toISOString();
      message = c.message.trim();
    }
    const start = SESSION_START_RE.exec(message);
    // A session start sorts before the Saves of its day (seq 0), by its tag's date.
    out.push({ tag: name, commit, date, message, logHead: parseLogHead(message), sessionStart: start ? (start[1] as string) : null, day: m ? (m[1] as string) : date.slice(0, 10), seq: m ? Number(m[2]) : 0 });
  }
  // Newest last: by the date in the name, then the sequence number.
  out.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.seq - b.seq));
  return out.map(({ tag, commit, date, message, logHead, sessionStart }) => ({ tag, commit, date, message, logHead, sessionStart }));
}
