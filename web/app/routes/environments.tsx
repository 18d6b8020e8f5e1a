// One lane per environment (issue 15): the checkpoint `release/{env}` holds, a promotion waiting for
// approvals or running, and the promote / approve buttons the person's role on the session allows.
import { useEffect, useState, type FormEvent } from 'react';
import { ErrorNotice } from '../components/error-notice.js';
import { Button, Card, CardHeader, Empty, inputClass, shortHash, timeAgo } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { RepoCheckpoint, SessionView } from '../lib/api-types.js';
import { roleAtLeast, type StoredUser } from '../lib/auth.js';
import { useSession } from '../lib/session-context.js';
import type { EnvironmentView, PendingPromotion } from '../../../contracts/index.js';

export function meta() {
  return [{ title: 'Environments · Thalogos' }];
}

type PromotionEntry = Extract<SessionView['timeline'][number], { kind: 'promotion' }>;
type RollbackEntry = Extract<SessionView['timeline'][number], { kind: 'environment_rollback' }>;

/** The environment's newest promotion or rollback on the timeline. */
function lastChange(view: SessionView, environment: string): PromotionEntry | RollbackEntry | null {
  const entries = view.timeline.filter((e): e is PromotionEntry | RollbackEntry => (e.kind === 'promotion' || e.kind === 'environment_rollback') && e.environment === environment);
  return entries[entries.length - 1] ?? null;
}

/** Checkpoints listed before `tag` (oldest first, as the API lists them): the candidates to roll back to. */
function earlierThan(checkpoints: RepoCheckpoint[], tag: string): RepoCheckpoint[] {
  const index = checkpoints.findIndex((c) => c.tag === tag);
  return index > 0 ? checkpoints.slice(0, index) : [];
}

function outcomeText(entry: PromotionEntry | RollbackEntry): { tone: string; text: string } {
  if (entry.kind === 'environment_rollback') return { tone: 'text-amber-700 dark:text-amber-400', text: `rolled back to ${entry.checkpoint} by ${entry.by}` };
  const r = entry.result;
  if (r.status === 'promoted') return { tone: 'text-emerald-700 dark:text-emerald-400', text: `promoted ${r.checkpoint}` };
  if (r.status === 'gates_failed') {
    const failed = r.gates.find((g) => g.timedOut || g.exitCode !== 0);
    return { tone: 'text-rose-700 dark:text-rose-400', text: `gates failed on ${r.checkpoint}${failed ? ` (${failed.command})` : ''}; not moved` };
  }
  return { tone: 'text-rose-700 dark:text-rose-400', text: `failed: ${r.error.code} ${r.error.message}` };
}

function PromoteForm({ sessionId, env, checkpoints, suggested, onDone }: { sessionId: string; env: EnvironmentView; checkpoints: RepoCheckpoint[]; suggested: string | null; onDone: () => void }) {
  const [checkpoint, setCheckpoint] = useState(suggested ?? checkpoints[checkpoints.length - 1]?.tag ?? '');
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (suggested) setCheckpoint(suggested);
  }, [suggested]);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await api('POST', `/api/sessions/${sessionId}/promotions`, { checkpoint, to: env.name });
      setError(null);
      onDone();
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }
  const id = `promote-${env.name}`;
  return (
    <form onSubmit={submit} className="mt-3 grid gap-2">
      <div className="flex gap-2">
        <label htmlFor={id} className="sr-only">
          Checkpoint to promote to {env.name}
        </label>
        <select id={id} value={checkpoint} onChange={(event) => setCheckpoint(event.target.value)} className={inputClass}>
          {[...checkpoints].reverse().map((c) => (
            <option key={c.tag} value={c.tag}>
              {c.tag}
            </option>
          ))}
        </select>
        <Button type="submit" variant="primary" disabled={busy || !checkpoint} aria-label={`Promote to ${env.name}`}>
          Promote
        </Button>
      </div>
      <ErrorNotice error={error} title={`Could not promote to ${env.name}`} />
    </form>
  );
}

/** Moves release/{env} back to an earlier checkpoint (the server checks it is an ancestor of what it holds). */
function RollbackForm({ sessionId, env, earlier, onDone }: { sessionId: string; env: EnvironmentView; earlier: RepoCheckpoint[]; onDone: () => void }) {
  const [checkpoint, setCheckpoint] = useState(earlier[earlier.length - 1]?.tag ?? '');
  const [error, setError] = useState<ApiFailure | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await api('POST', `/api/sessions/${sessionId}/environments/${env.name}/rollback`, { checkpoint });
      setError(null);
      onDone();
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  }
  const id = `rollback-${env.name}`;
  return (
    <details className="mt-2 text-sm">
      <summary className="cursor-pointer text-xs text-zinc-500">Roll {env.name} back…</summary>
      <form onSubmit={submit} className="mt-2 grid gap-2">
        <div className="flex gap-2">
          <label htmlFor={id} className="sr-only">
            Earlier checkpoint for {env.name}
          </label>
          <select id={id} value={checkpoint} onChange={(event) => setCheckpoint(event.target.value)} className={inputClass}>
            {[...earlier].reverse().map((c) => (
              <option key={c.tag} value={c.tag}>
                {c.tag}
              </option>
            ))}
          </select>
          <Button type="submit" disabled={!checkpoint} aria-label={`Roll ${env.name} back`}>
            Roll back
          </Button>
        </div>
        <ErrorNotice error={error} title={`Could not roll ${env.name} back`} />
      </form>
    </details>
  );
}

function PendingLine({ sessionId, pending, user, onDone }: { sessionId: string; pending: PendingPromotion; user: StoredUser | null; onDone: () => void }) {
  const [error, setError] = useState<ApiFailure | null>(null);
  const required = pending.required;
  const canApprove =
    pending.state === 'awaiting_approval' && required !== null && roleAtLeast(user?.role, required.role) &&
    user?.name !== pending.requestedBy && !pending.approvals.some((a) => a.by === user?.name);
  async function approve() {
    try {
      await api('POST', `/api/sessions/${sessionId}/promotions/${pending.promotionId}/approve`, {});
      setError(null);
      onDone();
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  }
  return (
    <div role="status" aria-label={`Pending promotion to ${pending.environment}`} className="mt-3 rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-800 dark:bg-sky-950/50 dark:text-sky-200">
      {pending.state === 'running' ? (
        <>Promoting {pending.checkpoint}… (gates, then the release branch)</>
      ) : (
        <>
          {pending.checkpoint} waits for approvals: {pending.approvals.length} of {required?.count} ({required?.role}), asked by {pending.requestedBy}
          {pending.approvals.length > 0 ? <span className="block text-xs">approved by {pending.approvals.map((a) => a.by).join(', ')}</span> : null}
        </>
      )}
      {canApprove ? (
        <Button className="ml-2" onClick={() => void approve()} aria-label={`Approve promotion of ${pending.checkpoint} to ${pending.environment}`}>
          Approve
        </Button>
      ) : null}
      <ErrorNotice error={error} title="Could not approve" />
    </div>
  );
}

export default function Environments() {
  const { live, view, user } = useSession();
  const [envs, setEnvs] = useState<EnvironmentView[] | null>(null);
  const [checkpoints, setCheckpoints] = useState<RepoCheckpoint[]>([]);
  const [error, setError] = useState<ApiFailure | null>(null);
  const canPromote = roleAtLeast(user?.role, 'operator');
  const pendingKey = view.pendingPromotions.map((p) => `${p.promotionId}:${p.state}:${p.approvals.length}`).join(',');

  useEffect(() => {
    Promise.all([
      api<{ environments: EnvironmentView[] }>('GET', `/api/sessions/${view.id}/environments`),
      api<{ checkpoints: RepoCheckpoint[] }>('GET', `/api/sessions/${view.id}/checkpoints`),
    ])
      .then(([e, c]) => {
        setEnvs(e.environments);
        setCheckpoints(c.checkpoints);
        setError(null);
      })
      .catch((failure: ApiFailure) => setError(failure));
  }, [view.id, view.timeline.length, pendingKey]);

  const refresh = () => void live.refresh();
  return (
    <Card aria-labelledby="environments-title">
      <CardHeader title="Environments" id="environments-title">
        <span className="text-xs text-zinc-500">each a release/ branch, promoted fast-forward in order</span>
      </CardHeader>
      <ErrorNotice error={error} title="Could not read the environments" />
      {envs && envs.length === 0 ? <Empty>No environments. List them in .thalogos.json on the base branch: "environments": [{'{'}"name": "dev"{'}'}, …].</Empty> : null}
      <ol aria-label="Environment lanes" className="grid gap-4 p-4 md:grid-cols-3">
        {(envs ?? []).map((env, index) => {
          const pending = view.pendingPromotions.find((p) => p.environment === env.name) ?? null;
          const last = lastChange(view, env.name);
          const outcome = last ? outcomeText(last) : null;
          const previous = index > 0 ? (envs?.[index - 1] ?? null) : null;
          return (
            <li key={env.name} aria-label={`Environment ${env.name}`} className="rounded-lg border border-zinc-200 p-3 dark:border-zinc-800">
              <div className="flex items-baseline gap-2">
                <span className="text-base font-semibold">{env.name}</span>
                <code className="font-mono text-xs text-zinc-500">{env.branch}</code>
              </div>
              <p className="mt-2 text-sm" aria-label={`${env.name} holds`}>
                {env.head ? (
                  <>
                    holds <code className="font-mono text-xs font-medium">{env.checkpoint ?? 'a commit without checkpoint'}</code>{' '}
                    <code className="font-mono text-xs text-zinc-500" title={env.head}>
                      {shortHash(env.head)}
                    </code>
                  </>
                ) : (
                  <span className="text-zinc-500">nothing promoted yet</span>
                )}
              </p>
              <p className="mt-1 text-xs text-zinc-500">
                {env.gates.length > 0 ? `${env.gates.length} gate${env.gates.length > 1 ? 's' : ''}` : 'no gates'} ·{' '}
                {env.approvals ? `${env.approvals.count} ${env.approvals.role} approval${env.approvals.count > 1 ? 's' : ''}` : 'no approval needed'}
              </p>
              {outcome && last ? (
                <p className="mt-1 text-xs" aria-label={`Last change of ${env.name}`}>
                  <span className={outcome.tone}>{outcome.text}</span> <span className="text-zinc-500">{timeAgo(last.kind === 'promotion' ? last.completedAt : last.at)}</span>
                </p>
              ) : null}
              {pending ? <PendingLine sessionId={view.id} pending={pending} user={user} onDone={refresh} /> : null}
              {canPromote && !pending && checkpoints.length > 0 ? (
                <PromoteForm sessionId={view.id} env={env} checkpoints={checkpoints} suggested={previous ? previous.checkpoint : (checkpoints[checkpoints.length - 1]?.tag ?? null)} onDone={refresh} />
              ) : null}
              {canPromote && !pending && env.checkpoint && earlierThan(checkpoints, env.checkpoint).length > 0 ? (
                <RollbackForm key={env.checkpoint} sessionId={view.id} env={env} earlier={earlierThan(checkpoints, env.checkpoint)} onDone={refresh} />
              ) : null}
            </li>
          );
        })}
      </ol>
    </Card>
  );
}
