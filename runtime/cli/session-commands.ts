import type { SessionView } from '../../actors/describe-session.js';
import type { LogEntry } from '../log/log-entry.js';
import { need, nonNegative, sessionPath, str, type Command } from './command.js';
import { formatSession, formatSessionList, type SessionSummary } from './format-views.js';
import { replaySession } from './replay.js';
import { table } from './table.js';

export const sessionCommands: Record<string, Command> = {
  async 'session create'({ client, flags, out }) {
    const view = await client.request<SessionView>('POST', '/api/sessions', {
      repoPath: need(flags.repo, '--repo'), title: need(flags.title, '--title'), ...(flags.base !== undefined ? { baseBranch: need(flags.base, '--base') } : {}),
    });
    out.result(view, () => `Created session ${view.id} on ${view.repoPath} (branch ${view.baseBranch ?? 'main'}).\nAdd a task: thalogos task add ${view.id} --prompt "..."`);
    return 0;
  },
  async 'session list'({ client, out }) {
    // The list is paginated: follow the cursor, as large pages as the server allows.
    const sessions: SessionSummary[] = [];
    let cursor: string | null = null;
    do {
      const page: { sessions: SessionSummary[]; nextCursor: string | null } = await client.request('GET', `/api/sessions?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      sessions.push(...page.sessions);
      cursor = page.nextCursor;
    } while (cursor !== null);
    const answer = { sessions };
    out.result(answer, () => formatSessionList(answer.sessions, out.width));
    return 0;
  },
  async 'session show'({ client, args, out }) {
    const view = await client.request<SessionView>('GET', sessionPath(args[0]));
    out.result(view, () => formatSession(view, out.width));
    return 0;
  },
  async events({ client, args, flags, out }) {
    const query = new URLSearchParams();
    if (flags.after !== undefined) query.set('after', String(nonNegative(str(flags.after), '--after')));
    if (flags.task) query.set('taskId', need(flags.task, '--task'));
    const answer = await client.request<{ events: LogEntry[] }>('GET', `${sessionPath(args[0])}/events${query.size ? `?${query}` : ''}`);
    out.result(answer, () =>
      answer.events.length === 0
        ? 'No events.'
        : table(['SEQ', 'AT', 'BY', 'EVENT', 'TASK'], answer.events.map((e) => [String(e.seq), e.at, e.actor.name ?? `${e.actor.kind}:${e.actor.id}`, e.type, e.taskId ?? '']), out.width),
    );
    return 0;
  },
  async replay({ client, args, flags, out }) {
    const replayed = await replaySession(client, need(args[0], 'SESSION'), flags.until !== undefined ? nonNegative(str(flags.until), '--until') : null);
    out.result(replayed, () => `Replayed ${replayed.entries} events up to seq ${replayed.seq}.\n\n${formatSession(replayed.state, out.width)}`);
    return 0;
  },
};

