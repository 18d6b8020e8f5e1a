// Cluster mode (issue 12): which nodes are alive, how many sessions each runs, and which node owns
// each session, as GET /api/cluster reports it. Refreshed every few seconds, so an operator
// watching a failover sees the sessions move. Without Redis the runtime is one node: said so.
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { AppShell } from '../components/app-shell.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Card, CardHeader, Empty, Spinner } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { ClusterView } from '../lib/cluster.js';
import { useSignedIn } from '../lib/use-signed-in.js';

export function meta() {
  return [{ title: 'Cluster · Thalogos' }];
}

const REFRESH_MS = 3_000;

export default function Cluster() {
  const { user, ready } = useSignedIn();
  const [view, setView] = useState<ClusterView | null>(null);
  const [single, setSingle] = useState(false);
  const [failure, setFailure] = useState<ApiFailure | null>(null);

  const load = useCallback(async () => {
    try {
      setView(await api<ClusterView>('GET', '/api/cluster'));
      setFailure(null);
    } catch (caught) {
      const refused = caught as ApiFailure;
      // No such route: the embedded default (no Redis configured), one node.
      if (refused.code === 'NOT_FOUND') setSingle(true);
      else setFailure(refused);
    }
  }, []);
  useEffect(() => {
    if (!ready) return;
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [ready, load]);

  const owned = (nodeId: string) => view?.sessions.filter((session) => session.owner === nodeId) ?? [];
  const orphaned = view?.sessions.filter((session) => !session.owner || !view.nodes.some((node) => node.id === session.owner && node.alive)) ?? [];

  return (
    <AppShell user={user} crumbs={<span className="text-zinc-700 dark:text-zinc-300">Cluster</span>}>
      <main className="mx-auto grid max-w-[1440px] gap-6 px-4 py-6">
        <Card aria-labelledby="cluster-title">
          <CardHeader title="Cluster" id="cluster-title">
            {view ? <span className="text-xs text-zinc-500">answered by node {view.node}</span> : null}
          </CardHeader>
          <div className="space-y-2 p-4 empty:hidden">
            <ErrorNotice error={failure} title="Could not read the cluster" onDismiss={() => setFailure(null)} />
          </div>
          {single ? (
            <Empty>This runtime runs as a single node on its local database (no Redis configured).</Empty>
          ) : view === null && !failure ? (
            <div className="p-6">
              <Spinner label="Loading the cluster…" />
            </div>
          ) : null}
          {view ? (
            <ul aria-label="Nodes" className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {view.nodes.map((node) => (
                <li key={node.id} aria-label={`${node.id}, ${node.alive ? 'alive' : 'not answering'}, ${node.sessions} session${node.sessions === 1 ? '' : 's'}`} className="px-4 py-2.5">
                  <div className="flex flex-wrap items-center gap-3">
                    <span aria-hidden className={`size-2.5 rounded-full ${node.alive ? 'bg-emerald-500' : 'bg-rose-500'}`} />
                    <span className="font-medium">{node.id}</span>
                    <span className="font-mono text-xs text-zinc-500">{node.url || 'no heartbeat'}</span>
                    <span className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">{node.alive ? 'alive' : 'not answering'}</span>
                    <span className="text-xs text-zinc-500">{node.sessions} session{node.sessions === 1 ? '' : 's'}</span>
                  </div>
                  {owned(node.id).length > 0 ? (
                    <ul aria-label={`Sessions on ${node.id}`} className="mt-1 flex flex-wrap gap-2 pl-5">
                      {owned(node.id).map((session) => (
                        <li key={session.id}>
                          <Link to={`/sessions/${session.id}`} className="font-mono text-xs text-sky-700 hover:underline dark:text-sky-400">
                            {session.id}
                          </Link>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
          {orphaned.length > 0 ? (
            <p role="status" className="border-t border-zinc-200 px-4 py-2.5 text-sm text-amber-700 dark:border-zinc-800 dark:text-amber-400">
              {orphaned.length} session{orphaned.length === 1 ? '' : 's'} waiting for a new owner (a node died; its leases are running out): {orphaned.map((session) => session.id).join(', ')}
            </p>
          ) : null}
        </Card>
      </main>
    </AppShell>
  );
}
