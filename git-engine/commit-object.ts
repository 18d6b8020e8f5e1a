// A commit object's bytes, rendered here rather than through isomorphic-git's `commit()`, which
// resolves a ref (a dozen failed reads of refs/ and packed-refs) and stats the object before each
// write: 10-40 ms per commit, eight of them in every Save. The format is isomorphic-git's own
// (GitCommit.render / GitCommit.sign), so the same inputs give the same object id as before
// (commit-object.test.ts checks it against isomorphic-git and `git verify-commit`).
import type { SigningKey } from './signing.js';
import { signPayload } from './signing.js';

export interface CommitPerson { name: string; email: string; timestamp: number; timezoneOffset: number }

export interface CommitFields {
  tree: string;
  parents: readonly string[];
  author: CommitPerson;
  committer: CommitPerson;
  message: string;
}

/** CRs dropped, no leading newlines, exactly one trailing newline (as isomorphic-git writes). */
function normalizeNewlines(text: string): string {
  return `${text.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`;
}

/**
 * git's offset notation from isomorphic-git's minutes west of UTC: 60 is `-0100`, -330 is
 * `+0530`, and -0 (kept by isomorphic-git when it parses `-0000`) stays `-0000`.
 */
function formatOffset(minutesWest: number): string {
  const negative = minutesWest > 0 || Object.is(minutesWest, -0);
  const abs = Math.abs(minutesWest);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${negative ? '-' : '+'}${hh}${mm}`;
}

function formatPerson(p: CommitPerson): string {
  return `${p.name} <${p.email}> ${p.timestamp} ${formatOffset(p.timezoneOffset)}`;
}

function renderHeaders(c: CommitFields): string {
  let headers = `tree ${c.tree}\n`;
  for (const parent of c.parents) headers += `parent ${parent}\n`;
  return `${headers}author ${formatPerson(c.author)}\ncommitter ${formatPerson(c.committer)}\n`;
}

/** A header continuation block: every line of the value indented by one space. */
function indent(text: string): string {
  return `${text.trim().split('\n').map((line) => ` ${line}`).join('\n')}\n`;
}

/** The commit's text; signed (a `gpgsig` header over the unsigned text) when a key is given. */
export async function renderCommit(c: CommitFields, signingKey?: SigningKey): Promise<string> {
  const headers = renderHeaders(c);
  const message = normalizeNewlines(c.message);
  const unsigned = `${headers}\n${message}`;
  if (!signingKey) return unsigned;
  const signature = normalizeNewlines(await signPayload(signingKey, unsigned));
  return `${headers}gpgsig${indent(signature)}\n${message}`;
}
