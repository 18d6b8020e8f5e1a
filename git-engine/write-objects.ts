// Writing commit and annotated-tag objects (never refs: callers move refs last, atomically).
import git from 'isomorphic-git';
import type { Repo } from './repo.js';
import { onSignFor, signPayload, type SigningKey } from './signing.js';

export interface Identity { name: string; email: string }

export interface ObjectContext {
  committer: Identity;
  nowMs: number;
  signingKey?: SigningKey | undefined;
}

export async function writeCommit(repo: Repo, ctx: ObjectContext, p: { tree: string; parents: string[]; message: string }): Promise<string> {
  const who = { name: ctx.committer.name, email: ctx.committer.email, timestamp: Math.floor(ctx.nowMs / 1000), timezoneOffset: 0 };
  return git.commit({
    fs: repo.fs,
    gitdir: repo.gitdir,
    cache: repo.cache,
    // isomorphic-git resolves `ref` even with noUpdateBranch; a name nobody uses keeps it off HEAD.
    ref: 'refs/thalogos/unused',
    noUpdateBranch: true,
    tree: p.tree,
    parent: p.parents,
    message: p.message,
    author: who,
    committer: who,
    ...(ctx.signingKey ? { signingKey: 'thalogos', onSign: onSignFor(ctx.signingKey) } : {}),
  });
}

export async function writeAnnotatedTag(repo: Repo, ctx: ObjectContext, p: { name: string; target: string; message: string }): Promise<string> {
  const ts = Math.floor(ctx.nowMs / 1000);
  const body = p.message.replace(/\r\n/g, '\n').trim();
  // git verifies a tag's signature over everything before "-----BEGIN PGP SIGNATURE-----".
  let text = `object ${p.target}\ntype commit\ntag ${p.name}\ntagger ${ctx.committer.name} <${ctx.committer.email}> ${ts} +0000\n\n${body}\n`;
  if (ctx.signingKey) text += await signPayload(ctx.signingKey, text);
  return git.writeObject({ fs: repo.fs, gitdir: repo.gitdir, type: 'tag', format: 'content', object: Buffer.from(text, 'utf8') });
}
