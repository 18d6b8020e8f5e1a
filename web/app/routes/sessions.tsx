import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { AppShell } from '../components/app-shell.js';
import { ErrorNotice } from '../components/error-notice.js';
import { SessionStatusBadge } from '../components/status.js';
import { Button, Card, CardHeader, Empty, inputClass, labelClass, Spinner, timeAgo } from '../components/ui.js';
import { api, listAllSessions, type ApiFailure } from '../lib/api.js';
import type { SessionSummary, SessionView } from '../lib/api-types.js';
import { roleAtLeast } from '../lib/auth.js';
import { useSignedIn } from '../lib/use-signed-in.js';

export function meta() {
  return [{ title: 'Sessions · Thalogos' }];
}

function TaskCounts({ counts }: { counts: Record<string, number> }) {
  const running = (counts.running ?? 0) + (counts.preparing ?? 0) + (counts.committing ?? 0) + (counts.retry_wait ?? 0);
  const parts: Array<[string, number, string]> = [
    ['queued', counts.queued ?? 0, 'text-zinc-500'],
    ['running', running, 'text-sky-600 dark:text-sky-400'],
    ['to review', counts.ready_for_review ?? 0, 'text-violet-600 dark:text-violet-400'],
    ['merged', counts.merged ?? 0, 'text-emerald-600 dark:text-emerald-400'],
    ['failed', counts.failed ?? 0, 'text-rose-600 dark:text-rose-400'],
  ];
  const shown = parts.filter(([, n]) => n > 0);
  if (shown.length === 0) return <span className="text-zinc-500 dark:text-zinc-400">no tasks yet</span>;
  return (
    <span className="flex flex-wrap gap-x-3 gap-y-1">
      {shown.map(([label, n, color]) => (
        <span key={label} className={color}>
          <strong className="font-semibold tabular-nums">{n}</strong> {label}
        </span>
      ))}
    </span>
  );
}

export default function Sessions() {
  const { user, ready } = useSignedIn();
  const navigate = useNavigate();
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [loadError, setLoadError] = useState<ApiFailure | null>(null);
  const [repoPath, setRepoPath] = useState('');
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<ApiFailure | null>(null);

  const load = useCallback(async () => {
    try {
      const all = await listAllSessions<SessionSummary>();
      setSessions([...all].sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
      setLoadError(null);
    } catch (failure) {
      setLoadError(failure as ApiFailure);
      if ((failure as ApiFailure).code === 'UNAUTHENTICATED') navigate('/sign-in');
    }
  }, [navigate]);

  useEffect(() => {
    if (!ready) return;
    void load();
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [ready, load]);

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setCreateError(null);
    try {
      const view = await api<SessionView>('POST', '/api/sessions', { repoPath: repoPath.trim(), title: title.trim() });
      navigate(`/sessions/${view.id}`);
    } catch (failure) {
      setCreateError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }

  const canCreate = roleAtLeast(user?.role, 'operator');
  return (
    <AppShell user={user} crumbs={<span className="text-zinc-700 dark:text-zinc-300">Sessions</span>}>
      <main className="mx-auto grid max-w-[1440px] gap-6 px-4 py-6 lg:grid-cols-[1fr_360px]">
        <Card aria-labelledby="sessions-title">
          <CardHeader title="Sessions" id="sessions-title">
            <span className="text-xs text-zinc-500">{sessions ? `${sessions.length} total` : ''}</span>
          </CardHeader>
          {loadError ? (
            <div className="p-4">
              <ErrorNotice error={loadError} title="Could not load sessions" />
            </div>
          ) : null}
          {sessions === null && !loadError ? (
            <div className="p-6">
              <Spinner label="Loading sessions…" />
            </div>
          ) : null}
          {sessions && sessions.length === 0 ? <Empty>No sessions yet. Create one on a repository to start.</Empty> : null}
          {sessions && sessions.length > 0 ? (
            <ul className="divide-y divide-zinc-200 dark:divide-zinc-800" aria-label="Sessions">
              {sessions.map((session) => (
                <li key={session.id}>
                  <Link
                    to={`/sessions/${session.id}`}
                    className="flex flex-col gap-1.5 px-4 py-3 hover:bg-zinc-50 focus-visible:bg-zinc-50 sm:flex-row sm:items-center sm:gap-4 dark:hover:bg-zinc-800/50"
                  >
                    <span className="min-w-0 flex-1">
                      <span className="flex items-center gap-2">
                        <span className="truncate font-medium">{session.title}</span>
                        <SessionStatusBadge status={session.status} />
                      </span>
                      <span className="mt-0.5 block truncate font-mono text-xs text-zinc-500">{session.repoPath}</span>
                    </span>
                    <span className="text-xs text-zinc-600 dark:text-zinc-400">
                      <TaskCounts counts={session.taskCounts} />
                    </span>
                    <span className="w-20 text-xs text-zinc-500 sm:text-right dark:text-zinc-400">{timeAgo(session.createdAt)}</span>
                  </Link>
                </li>
              ))}
            </ul>
          ) : null}
        </Card>

        <Card aria-labelledby="new-session-title" className="self-start">
          <CardHeader title="New session" id="new-session-title" />
          <form onSubmit={create} className="space-y-3 p-4">
            <div>
              <label htmlFor="repoPath" className={labelClass}>
                Repository path
              </label>
              <input
                id="repoPath"
                required
                value={repoPath}
                onChange={(event) => setRepoPath(event.target.value)}
                className={`${inputClass} font-mono`}
                placeholder="/home/you/projects/app"
                spellCheck={false}
              />
              <p className="mt-1 text-xs text-zinc-500">An absolute path, on the runtime's machine, to a git repository with a main or master branch (where Saves land).</p>
            </div>
            <div>
              <label htmlFor="title" className={labelClass}>
                Title
              </label>
              <input id="title" required value={title} onChange={(event) => setTitle(event.target.value)} className={inputClass} placeholder="Add dark mode" />
            </div>
            <ErrorNotice error={createError} title="Could not create the session" />
            <Button type="submit" variant="primary" disabled={busy || !canCreate} className="w-full" aria-describedby={canCreate ? undefined : 'create-role-note'}>
              {busy ? 'Creating…' : 'Create session'}
            </Button>
            {!canCreate && ready ? (
              <p id="create-role-note" className="text-xs text-zinc-500">
                Creating a session needs the operator role; you are signed in as {user?.role}.
              </p>
            ) : null}
          </form>
        </Card>
      </main>
    </AppShell>
  );
}
