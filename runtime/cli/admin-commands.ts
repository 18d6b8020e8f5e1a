import { createTokenInCluster } from './cluster-token.js';
import { UsageError } from './usage.js';
import { createTokenOffline, offlineToken } from './offline-token.js';
import { need, sessionPath, type Command } from './command.js';
import { table } from './table.js';

interface TokenRow {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

interface Member {
  tokenId: string;
  name: string;
  role: string;
  owner: boolean;
}

interface AgentStatus {
  id: string;
  status: string;
  reason: string | null;
  binPath: string | null;
}

const ROLES = 'viewer|reviewer|operator|admin';

export const adminCommands: Record<string, Command> = {
  async 'token create'({ client, flags, out, env }) {
    // The lost-admin-token paths: --data-dir writes straight into a stopped server's database,
    // --cluster into the cluster's Redis (its nodes may keep running).
    const dataDir = typeof flags['data-dir'] === 'string' ? flags['data-dir'] : undefined;
    if (dataDir && flags.cluster) throw new UsageError('--data-dir and --cluster do not go together: a cluster keeps its tokens in Redis');
    if (dataDir || flags.cluster) {
      const input = { name: need(flags.name, '--name'), role: need(flags.role, `--role ${ROLES}`) };
      const mint = dataDir ? () => createTokenOffline({ dataDir, ...input }) : () => createTokenInCluster({ env, ...input });
      return offlineToken(mint, (value) => out.result(value, () => `Token ${String((value as { id?: unknown }).id)} for ${String((value as { name?: unknown }).name)} (${String((value as { role?: unknown }).role)}). It is shown only this once:\n\n  ${String((value as { token?: unknown }).token)}\n`));
    }
    const created = await client.request<TokenRow & { token: string }>('POST', '/api/tokens', { name: need(flags.name, '--name'), role: need(flags.role, `--role ${ROLES}`) });
    out.result(created, () => `Token ${created.id} for ${created.name} (${created.role}). It is shown only this once:\n\n  ${created.token}\n`);
    return 0;
  },
  async 'token list'({ client, out }) {
    const answer = await client.request<{ tokens: TokenRow[] }>('GET', '/api/tokens');
    out.result(answer, () =>
      table(['TOKEN', 'NAME', 'ROLE', 'CREATED', 'REVOKED'], answer.tokens.map((t) => [t.id, t.name, t.role, t.createdAt, t.revokedAt ?? '']), out.width),
    );
    return 0;
  },
  async 'token revoke'({ client, args, out }) {
    const record = await client.request<TokenRow>('POST', `/api/tokens/${encodeURIComponent(need(args[0], 'TOKEN_ID'))}/revoke`, {});
    out.result(record, () => `Revoked token ${record.id} (${record.name}) at ${record.revokedAt}.`);
    return 0;
  },
  async 'members list'({ client, args, out }) {
    const answer = await client.request<{ members: Member[] }>('GET', `${sessionPath(args[0])}/members`);
    out.result(answer, () => table(['TOKEN', 'NAME', 'ROLE', 'OWNER'], answer.members.map((m) => [m.tokenId, m.name, m.role, m.owner ? 'owner' : '']), out.width));
    return 0;
  },
  async 'members add'({ client, args, flags, out }) {
    const tokenId = need(args[1], 'TOKEN_ID');
    const answer = await client.request<unknown>('PUT', `${sessionPath(args[0])}/members/${encodeURIComponent(tokenId)}`, { role: need(flags.role, `--role ${ROLES}`) });
    out.result(answer, () => `Token ${tokenId} is now a ${String(flags.role)} of session ${args[0]}.`);
    return 0;
  },
  async 'members remove'({ client, args, out }) {
    const tokenId = need(args[1], 'TOKEN_ID');
    const answer = await client.request<unknown>('DELETE', `${sessionPath(args[0])}/members/${encodeURIComponent(tokenId)}`);
    out.result(answer ?? {}, () => `Token ${tokenId} is no longer a member of session ${args[0]}.`);
    return 0;
  },
  async 'audit verify'({ client, out }) {
    const result = await client.request<{ ok: boolean; entries?: number; [field: string]: unknown }>('GET', '/api/audit/verify');
    out.result(result, () => (result.ok ? `The audit log's hash chain is intact${result.entries !== undefined ? ` (${result.entries} entries)` : ''}.` : `The audit log's hash chain is BROKEN:\n${JSON.stringify(result, null, 2)}`));
    return result.ok ? 0 : 1;
  },
  async agents({ client, flags, out }) {
    const answer = flags.refresh
      ? await client.request<{ order: string[]; agents: AgentStatus[] }>('POST', '/api/agents/refresh', {})
      : await client.request<{ order: string[]; agents: AgentStatus[] }>('GET', '/api/agents');
    out.result(answer, () =>
      table(['AGENT', 'STATUS', 'DETAIL'], answer.agents.map((a) => [a.id, a.status.replace(/_/g, ' '), a.reason ?? a.binPath ?? '']), out.width),
    );
    return 0;
  },
  async whoami({ client, out }) {
    const me = await client.request<{ tokenId: string; name: string; role: string }>('GET', '/api/me');
    out.result(me, () => `${me.name} (${me.role}), token ${me.tokenId}, on ${client.baseUrl}`);
    return 0;
  },
};

