import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { AppShell } from '../components/app-shell.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Button, Card, CardHeader, inputClass, labelClass, Spinner, timeAgo } from '../components/ui.js';
import { api, listAllSessions, type ApiFailure } from '../lib/api.js';
import type { MemberRole, Role, SessionSummary, TokenRecord } from '../lib/api-types.js';
import { useSignedIn } from '../lib/use-signed-in.js';

export function meta() {
  return [{ title: 'Tokens · Thalogos' }];
}

const ROLES: Role[] = ['viewer', 'reviewer', 'operator', 'admin'];
const MEMBER_ROLES: MemberRole[] = ['viewer', 'reviewer', 'operator'];

/** Admins: every token, minting one (with its sessions), revoking one. The secret shows once. */
export default function Tokens() {
  const { user, ready } = useSignedIn();
  const [tokens, setTokens] = useState<TokenRecord[] | null>(null);
  const [sessions, setSessions] = useState<SessionSummary[]>([]);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [minted, setMinted] = useState<{ name: string; token: string } | null>(null);

  const load = useCallback(async () => {
    try {
      const [tokenBody, sessionBody] = await Promise.all([
        api<{ tokens: TokenRecord[] }>('GET', '/api/tokens'),
        listAllSessions<SessionSummary>(),
      ]);
      setTokens(tokenBody.tokens);
      setSessions(sessionBody);
    } catch (caught) {
      setFailure(caught as ApiFailure);
    }
  }, []);
  useEffect(() => {
    if (ready) void load();
  }, [ready, load]);

  async function revoke(token: TokenRecord) {
    setFailure(null);
    try {
      await api('POST', `/api/tokens/${encodeURIComponent(token.id)}/revoke`, {});
      await load();
    } catch (caught) {
      setFailure(caught as ApiFailure);
    }
  }

  return (
    <AppShell user={user} crumbs={<span className="text-zinc-700 dark:text-zinc-300">Tokens</span>}>
      <main className="mx-auto grid max-w-[1440px] gap-6 px-4 py-6 lg:grid-cols-[1fr_380px]">
        <Card aria-labelledby="tokens-title">
          <CardHeader title="Tokens" id="tokens-title">
            <span className="text-xs text-zinc-500">Stored only as hashes; revoking cuts live connections at once.</span>
          </CardHeader>
          <div className="space-y-2 p-4 empty:hidden">
            <ErrorNotice error={failure} title="Refused" onDismiss={() => setFailure(null)} />
          </div>
          {tokens === null && !failure ? (
            <div className="p-6">
              <Spinner label="Loading tokens…" />
            </div>
          ) : null}
          {tokens ? (
            <ul aria-label="Tokens" className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {tokens.map((token) => (
                <li key={token.id} aria-label={`${token.name}, ${token.role}${token.revokedAt ? ', revoked' : ''}`} className="flex flex-wrap items-center gap-3 px-4 py-2.5">
                  <span className="min-w-0 flex-1">
                    <span className="font-medium">{token.name}</span>{' '}
                    <span className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">{token.role}</span>
                    <span className="mt-0.5 block font-mono text-xs text-zinc-500">
                      {token.id} · created {timeAgo(token.createdAt)}
                      {token.revokedAt ? ` · revoked ${timeAgo(token.revokedAt)}` : ''}
                    </span>
                  </span>
                  {token.revokedAt || token.id === user?.tokenId ? null : (
                    <Button variant="danger" aria-label={`Revoke ${token.name}`} onClick={() => void revoke(token)}>
                      Revoke
                    </Button>
                  )}
                </li>
              ))}
            </ul>
          ) : null}
        </Card>
        <div className="space-y-4 self-start">
          {minted ? (
            <Card aria-labelledby="minted-title">
              <CardHeader title={`Token for ${minted.name}`} id="minted-title" />
              <div className="space-y-2 p-4" role="status">
                <p className="text-sm">Copy it now: it is shown once and stored only as a hash.</p>
                <code aria-label="New token secret" className="block break-all rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-800">
                  {minted.token}
                </code>
                <Button onClick={() => setMinted(null)}>Done</Button>
              </div>
            </Card>
          ) : null}
          <CreateToken
            sessions={sessions}
            onCreated={async (name, token) => {
              setMinted({ name, token });
              await load();
            }}
          />
          <p className="text-xs text-zinc-500">
            Lost every admin token? Stop the server and run <code>thalogos token create --data-dir DIR --name NAME --role admin</code>. Members of one
            session are managed on its <Link to="/sessions" className="underline">Members</Link> tab.
          </p>
        </div>
      </main>
    </AppShell>
  );
}

function CreateToken({ sessions, onCreated }: { sessions: SessionSummary[]; onCreated: (name: string, token: string) => Promise<void> }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [grants, setGrants] = useState<Record<string, MemberRole | ''>>({});
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const chosen = Object.entries(grants).flatMap(([id, memberRole]) => (memberRole ? [{ id, role: memberRole }] : []));
      const body = await api<{ token: string }>('POST', '/api/tokens', { name: name.trim(), role, ...(role !== 'admin' && chosen.length > 0 ? { sessions: chosen } : {}) });
      await onCreated(name.trim(), body.token);
      setName('');
      setGrants({});
    } catch (caught) {
      setFailure(caught as ApiFailure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card aria-labelledby="new-token-title">
      <CardHeader title="New token" id="new-token-title" />
      <form onSubmit={submit} className="space-y-3 p-4">
        <div>
          <label htmlFor="token-name" className={labelClass}>
            Name
          </label>
          <input id="token-name" required value={name} onChange={(event) => setName(event.target.value)} className={inputClass} placeholder="Who holds it" />
        </div>
        <div>
          <label htmlFor="token-role" className={labelClass}>
            Role
          </label>
          <select id="token-role" value={role} onChange={(event) => setRole(event.target.value as Role)} className={inputClass}>
            {ROLES.map((candidate) => (
              <option key={candidate}>{candidate}</option>
            ))}
          </select>
        </div>
        {role === 'admin' ? (
          <p className="text-xs text-zinc-500">Admin tokens see and change every session.</p>
        ) : (
          <fieldset>
            <legend className={labelClass}>Sessions it joins</legend>
            {sessions.length === 0 ? <p className="text-xs text-zinc-500">No sessions yet.</p> : null}
            <ul className="space-y-1.5">
              {sessions.map((session) => (
                <li key={session.id} className="flex items-center gap-2">
                  <label htmlFor={`grant-${session.id}`} className="min-w-0 flex-1 truncate text-sm">
                    {session.title}
                  </label>
                  <select
                    id={`grant-${session.id}`}
                    value={grants[session.id] ?? ''}
                    onChange={(event) => setGrants({ ...grants, [session.id]: event.target.value as MemberRole | '' })}
                    className={`${inputClass} w-32`}
                  >
                    <option value="">not a member</option>
                    {MEMBER_ROLES.map((candidate) => (
                      <option key={candidate}>{candidate}</option>
                    ))}
                  </select>
                </li>
              ))}
            </ul>
          </fieldset>
        )}
        <ErrorNotice error={failure} title="Could not create the token" />
        <Button type="submit" variant="primary" className="w-full" disabled={busy || !name.trim()}>
          {busy ? 'Creating…' : 'Create token'}
        </Button>
      </form>
    </Card>
  );
}
