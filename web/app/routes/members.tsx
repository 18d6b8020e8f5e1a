import { useEffect, useState, type FormEvent } from 'react';
import { ErrorNotice } from '../components/error-notice.js';
import { Button, Card, CardHeader, Empty, inputClass, labelClass, Spinner } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { Member, MemberRole, TokenRecord } from '../lib/api-types.js';
import { roleAtLeast } from '../lib/auth.js';
import { useSession } from '../lib/session-context.js';

export function meta() {
  return [{ title: 'Members · Thalogos' }];
}

const MEMBER_ROLES: MemberRole[] = ['viewer', 'reviewer', 'operator'];

/** Who may see and steer this session, and with which role; operators here (and admins) manage it. */
export default function Members() {
  const { view, user, membership } = useSession();
  const { members, error, reload } = membership;
  const canManage = roleAtLeast(user?.role, 'operator');
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [announce, setAnnounce] = useState('');
  // Admins can pick from every token; operators type the id the person gives them.
  const [tokens, setTokens] = useState<TokenRecord[] | null>(null);
  useEffect(() => {
    if (user?.role !== 'admin') return;
    api<{ tokens: TokenRecord[] }>('GET', '/api/tokens')
      .then((body) => setTokens(body.tokens.filter((token) => !token.revokedAt && token.role !== 'admin')))
      .catch((caught) => setFailure(caught as ApiFailure));
  }, [user?.role]);

  async function change(method: 'PUT' | 'DELETE', tokenId: string, role: MemberRole | null, done: string) {
    setFailure(null);
    try {
      await api(method, `/api/sessions/${view.id}/members/${encodeURIComponent(tokenId)}`, role ? { role } : undefined);
      await reload();
      setAnnounce(done);
    } catch (caught) {
      setFailure(caught as ApiFailure);
    }
  }

  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_360px]">
      <Card aria-labelledby="members-title">
        <CardHeader title="Members" id="members-title">
          <span className="text-xs text-zinc-500">Admins see every session without being members.</span>
        </CardHeader>
        <div className="space-y-2 p-4 empty:hidden">
          <ErrorNotice error={error} title="Could not load the members" />
          <ErrorNotice error={failure} title="Change refused" onDismiss={() => setFailure(null)} />
        </div>
        {members === null && !error ? (
          <div className="p-6">
            <Spinner label="Loading members…" />
          </div>
        ) : null}
        {members && members.length === 0 ? <Empty>No members: this session predates memberships, so only admins see it.</Empty> : null}
        {members && members.length > 0 ? (
          <ul aria-label="Members of this session" className="divide-y divide-zinc-200 dark:divide-zinc-800">
            {members.map((member) => (
              <MemberRow key={member.tokenId} member={member} canManage={canManage} onChange={change} />
            ))}
          </ul>
        ) : null}
        <p role="status" className="sr-only">
          {announce}
        </p>
      </Card>
      {canManage ? <AddMember tokens={tokens} members={members ?? []} onAdd={(tokenId, role) => change('PUT', tokenId, role, `Added as ${role}.`)} /> : null}
    </div>
  );
}

function MemberRow({
  member,
  canManage,
  onChange,
}: {
  member: Member;
  canManage: boolean;
  onChange: (method: 'PUT' | 'DELETE', tokenId: string, role: MemberRole | null, done: string) => Promise<void>;
}) {
  const label = `${member.name}, ${member.role}${member.owner ? ', owner' : ''}`;
  return (
    <li aria-label={label} className="flex flex-wrap items-center gap-3 px-4 py-2.5">
      <span className="min-w-0 flex-1">
        <span className="font-medium">{member.name}</span>
        {member.owner ? <span className="ml-2 rounded bg-indigo-50 px-1.5 py-0.5 text-xs text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">owner</span> : null}
        <span className="mt-0.5 block font-mono text-xs text-zinc-500">{member.tokenId}</span>
      </span>
      {canManage && !member.owner ? (
        <>
          <label className="sr-only" htmlFor={`role-${member.tokenId}`}>
            Role of {member.name}
          </label>
          <select
            id={`role-${member.tokenId}`}
            value={member.role}
            className={`${inputClass} w-32`}
            onChange={(event) => void onChange('PUT', member.tokenId, event.target.value as MemberRole, `${member.name} is now ${event.target.value}.`)}
          >
            {MEMBER_ROLES.map((role) => (
              <option key={role}>{role}</option>
            ))}
          </select>
          <Button variant="danger" aria-label={`Remove ${member.name}`} onClick={() => void onChange('DELETE', member.tokenId, null, `${member.name} removed.`)}>
            Remove
          </Button>
        </>
      ) : (
        <span className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">{member.role}</span>
      )}
    </li>
  );
}

function AddMember({ tokens, members, onAdd }: { tokens: TokenRecord[] | null; members: Member[]; onAdd: (tokenId: string, role: MemberRole) => Promise<void> }) {
  const [tokenId, setTokenId] = useState('');
  const [role, setRole] = useState<MemberRole>('viewer');
  const candidates = tokens?.filter((token) => !members.some((member) => member.tokenId === token.id)) ?? null;
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!tokenId.trim()) return;
    await onAdd(tokenId.trim(), role);
    setTokenId('');
  }
  return (
    <Card aria-labelledby="add-member-title" className="self-start">
      <CardHeader title="Add a member" id="add-member-title" />
      <form onSubmit={submit} className="space-y-3 p-4">
        <div>
          <label htmlFor="member-token" className={labelClass}>
            Token
          </label>
          {candidates ? (
            <select id="member-token" required value={tokenId} onChange={(event) => setTokenId(event.target.value)} className={inputClass}>
              <option value="">Choose a token…</option>
              {candidates.map((token) => (
                <option key={token.id} value={token.id}>
                  {token.name} ({token.role})
                </option>
              ))}
            </select>
          ) : (
            <>
              <input id="member-token" required value={tokenId} onChange={(event) => setTokenId(event.target.value)} className={`${inputClass} font-mono`} placeholder="token id" spellCheck={false} />
              <p className="mt-1 text-xs text-zinc-500">The token id (not the secret) of the person to add; they see it under their name.</p>
            </>
          )}
        </div>
        <div>
          <label htmlFor="member-role" className={labelClass}>
            Role on this session
          </label>
          <select id="member-role" value={role} onChange={(event) => setRole(event.target.value as MemberRole)} className={inputClass}>
            {MEMBER_ROLES.map((candidate) => (
              <option key={candidate}>{candidate}</option>
            ))}
          </select>
          <p className="mt-1 text-xs text-zinc-500">A token never does more than its own role allows, whatever its role here.</p>
        </div>
        <Button type="submit" variant="primary" className="w-full" disabled={!tokenId.trim()}>
          Add member
        </Button>
      </form>
    </Card>
  );
}
