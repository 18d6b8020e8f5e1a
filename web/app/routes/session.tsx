import { useEffect, useMemo, useState } from 'react';
import { Link, NavLink, Outlet, useParams } from 'react-router';
import { PermissionRequests } from '../components/acp-steering.js';
import { AppShell } from '../components/app-shell.js';
import { ErrorNotice } from '../components/error-notice.js';
import { PresenceAvatars } from '../components/presence.js';
import { MainNow, SaveStatus } from '../components/save-status.js';
import { RequireApprovalToggle } from '../components/require-approval.js';
import { SessionStatusBadge } from '../components/status.js';
import { Button, Spinner } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import { roleAtLeast } from '../lib/auth.js';
import { useLiveSession, type LiveMode } from '../lib/live-session.js';
import type { SessionOutlet } from '../lib/session-context.js';
import { useSessionMembers } from '../lib/session-role.js';
import { useSignedIn } from '../lib/use-signed-in.js';

export function meta() {
  return [{ title: 'Session · Thalogos' }];
}

function LiveIndicator({ mode }: { mode: LiveMode }) {
  const label = mode === 'sync' ? 'Live' : mode === 'polling' ? 'Polling' : 'Connecting';
  const detail =
    mode === 'sync'
      ? 'Connected to the live documents'
      : mode === 'polling'
        ? 'Live sync unavailable; refreshing every second'
        : 'Connecting to live sync';
  return (
    <span title={detail} aria-label={`Connection: ${detail}`} className="inline-flex items-center gap-1.5 text-xs text-zinc-500">
      <span aria-hidden className={`size-2 rounded-full ${mode === 'sync' ? 'bg-emerald-500' : mode === 'polling' ? 'bg-amber-500' : 'bg-zinc-400'}`} />
      {label}
    </span>
  );
}

const tabClass = ({ isActive }: { isActive: boolean }) =>
  `border-b-2 px-1 pb-2 text-sm font-medium ${
    isActive ? 'border-indigo-500 text-zinc-900 dark:text-zinc-100' : 'border-transparent text-zinc-500 hover:text-zinc-800 dark:hover:text-zinc-200'
  }`;

export default function SessionLayout() {
  const { sessionId = '' } = useParams();
  const { user: signedIn, ready } = useSignedIn();
  const live = useLiveSession(ready ? sessionId : null);
  // What the page offers follows the role on this session (token role capped by membership).
  const membership = useSessionMembers(ready ? sessionId : null, signedIn);
  const role = membership.role;
  const user = useMemo(() => (signedIn && role ? { ...signedIn, role } : signedIn), [signedIn, role]);
  const view = live.view;
  const [saveError, setSaveError] = useState<ApiFailure | null>(null);
  const [saving, setSaving] = useState(false);
  const [resumeError, setResumeError] = useState<ApiFailure | null>(null);
  // "2m ago" must keep counting when nothing else re-renders (the sync documents are quiet).
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((tick) => tick + 1), 30_000);
    return () => clearInterval(timer);
  }, []);

  const canSave = roleAtLeast(user?.role, 'operator');
  const busy = view?.pendingSave != null || view?.status === 'saving' || view?.status === 'frozen';

  async function save() {
    setSaving(true);
    setSaveError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/save`, {});
      await live.refresh();
    } catch (failure) {
      setSaveError(failure as ApiFailure);
    } finally {
      setSaving(false);
    }
  }

  async function resume() {
    setResumeError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/resume`, {});
      await live.refresh();
    } catch (failure) {
      setResumeError(failure as ApiFailure);
    }
  }

  const conflict = view?.lastSave?.result.status === 'conflict';
  const crumbs = (
    <span className="flex items-center gap-1.5">
      <Link to="/sessions" className="hover:text-zinc-800 dark:hover:text-zinc-200">
        Sessions
      </Link>
      <span aria-hidden>/</span>
      <span className="truncate text-zinc-700 dark:text-zinc-300">{view?.title ?? sessionId}</span>
    </span>
  );

  if (!view) {
    return (
      <AppShell user={user} crumbs={crumbs}>
        <main className="mx-auto max-w-[1440px] px-4 py-10">
          {live.error ? <ErrorNotice error={live.error} title="Could not open this session" backToSessions /> : <Spinner label="Loading session…" />}
        </main>
      </AppShell>
    );
  }

  const outlet: SessionOutlet = { live, view, user, membership };
  return (
    <AppShell user={user} crumbs={crumbs}>
      <div className="border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900/40">
        <div className="mx-auto max-w-[1440px] px-4 pt-4">
          <div className="flex flex-wrap items-start gap-x-6 gap-y-3">
            <div className="w-full min-w-0 sm:w-auto sm:flex-1">
              <div className="flex flex-wrap items-center gap-2">
                <h1 className="truncate text-lg font-semibold tracking-tight">{view.title}</h1>
                <SessionStatusBadge status={view.status} />
                <LiveIndicator mode={live.mode} />
              </div>
              <p className="mt-0.5 truncate font-mono text-xs text-zinc-500" title={view.repoPath}>
                {view.repoPath} · <span aria-label="Base branch">publishes to {view.baseBranch ?? 'main'}</span> · {view.id}
              </p>
            </div>
            <PresenceAvatars people={live.presence} />
            <div className="ml-auto flex flex-col items-end gap-1">
              <Button
                variant="primary"
                onClick={() => {
                  if (!busy && !saving) void save();
                }}
                disabled={!canSave}
                aria-disabled={busy || saving || undefined}
                aria-describedby={canSave ? undefined : 'save-role-note'}
                title={canSave ? 'Merge every task ready for review, run the gates, publish a checkpoint on main' : 'Saving needs the operator role'}
              >
                {busy || saving ? 'Saving…' : 'Save'}
              </Button>
              {!canSave ? (
                <span id="save-role-note" className="text-xs text-zinc-500">
                  Save needs the operator role ({user?.role ?? 'signed out'}).
                </span>
              ) : null}
              <RequireApprovalToggle sessionId={view.id} value={view.requireApproval} canChange={canSave} onChanged={() => void live.refresh()} />
            </div>
          </div>
          <div className="mt-3 flex flex-wrap items-center justify-between gap-3">
            <div className="space-y-1">
              <SaveStatus view={view} streams={live.streams} />
              <MainNow view={view} />
            </div>
            {view.status === 'awaiting_review' && roleAtLeast(user?.role, 'reviewer') ? (
              <span className="flex flex-wrap items-center gap-2">
                <span id="resume-note" className="text-xs text-zinc-600 dark:text-zinc-400">
                  {conflict ? 'Resolve the conflict, then Save publishes it. ' : ''}Resume goes back to work without publishing.
                </span>
                <Button onClick={resume} aria-describedby="resume-note">
                  Resume session
                </Button>
              </span>
            ) : null}
          </div>
          <div className="mt-2 space-y-2">
            {view.damage ? (
              <div role="alert" data-testid="session-damaged" className="rounded-md border border-rose-300 bg-rose-50 px-3 py-2 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-200">
                <p className="font-medium">This session is quarantined and read-only.</p>
                <p className="mt-1">
                  Log entry {view.damage.seq} ({view.damage.type}) cannot be applied: {view.damage.reason}. The board shows the session as it was
                  just before that entry; nothing of its log was changed. An admin can inspect the entry and skip or repair it
                  (docs/runbooks/session-quarantine.md); every other session keeps working.
                </p>
              </div>
            ) : null}
            <PermissionRequests view={view} role={user?.role} onAnswered={() => void live.refresh()} />
            <ErrorNotice error={saveError} title="Save refused" onDismiss={() => setSaveError(null)} />
            <ErrorNotice error={resumeError} title="Resume refused" onDismiss={() => setResumeError(null)} />
            {live.error ? (
              <ErrorNotice error={live.error} title={live.stopped ? 'Live updates stopped' : 'Lost contact with the session'} backToSessions={live.stopped} />
            ) : null}
          </div>
          <nav aria-label="Session sections" className="mt-3 flex gap-5">
            <NavLink to={`/sessions/${view.id}`} end className={tabClass}>
              Board
            </NavLink>
            <NavLink to={`/sessions/${view.id}/timeline`} className={tabClass}>
              Timeline <span className="ml-1 text-xs text-zinc-500 dark:text-zinc-400">{view.checkpoints.length}</span>
            </NavLink>
            <NavLink to={`/sessions/${view.id}/environments`} className={tabClass}>
              Environments {view.pendingPromotions.length > 0 ? <span className="ml-1 rounded-full bg-sky-700 px-1.5 text-xs text-white">{view.pendingPromotions.length}</span> : null}
            </NavLink>
            <NavLink to={`/sessions/${view.id}/conflict`} className={tabClass}>
              Conflicts {conflict ? <span className="ml-1 rounded-full bg-rose-700 px-1.5 text-xs text-white">!</span> : null}
            </NavLink>
            <NavLink to={`/sessions/${view.id}/members`} className={tabClass}>
              Members <span className="ml-1 text-xs text-zinc-500 dark:text-zinc-400">{membership.members?.length ?? ''}</span>
            </NavLink>
          </nav>
        </div>
      </div>
      <main className="mx-auto max-w-[1440px] px-4 py-5">
        <Outlet context={outlet} />
      </main>
    </AppShell>
  );
}
