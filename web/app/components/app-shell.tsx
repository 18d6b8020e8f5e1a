import type { ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { signOutEverywhere, type StoredUser } from '../lib/auth.js';
import { useClusterMode } from '../lib/cluster.js';
import { colorFor } from '../lib/live-session.js';

export function Logo() {
  return (
    <span className="inline-flex items-center gap-2 font-semibold tracking-tight">
      <svg aria-hidden viewBox="0 0 32 32" className="size-6">
        <rect width="32" height="32" rx="7" fill="#4f46e5" />
        <path d="M9 10h14M16 10v13" stroke="#fff" strokeWidth="3.2" strokeLinecap="round" />
        <circle cx="23" cy="22" r="2.4" fill="#a5b4fc" />
      </svg>
      Thalogos
    </span>
  );
}

export function AppShell({ user, children, crumbs }: { user: StoredUser | null; children: ReactNode; crumbs?: ReactNode }) {
  const navigate = useNavigate();
  // Cluster mode only: the link to the nodes and who owns which session.
  const cluster = useClusterMode();
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="sticky top-0 z-20 border-b border-zinc-200 bg-white/90 backdrop-blur dark:border-zinc-800 dark:bg-zinc-950/90">
        <div className="mx-auto flex h-12 max-w-[1440px] items-center gap-4 px-4">
          <Link to="/sessions" aria-label="Thalogos, all sessions">
            <Logo />
          </Link>
          <nav aria-label="Breadcrumb" className="min-w-0 flex-1 truncate text-sm text-zinc-500">
            {crumbs}
          </nav>
          {user ? (
            <div className="flex items-center gap-3 text-sm">
              {cluster ? (
                <Link to="/cluster" className="rounded-md px-2 py-1 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800">
                  Cluster
                </Link>
              ) : null}
              {user.role === 'admin' ? (
                <Link to="/tokens" className="rounded-md px-2 py-1 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800">
                  Tokens
                </Link>
              ) : null}
              <span className="hidden items-center gap-2 sm:inline-flex" title={`Signed in as ${user.name} (${user.role}); token id ${user.tokenId}`}>
                <span aria-hidden className="grid size-6 place-items-center rounded-full text-xs font-semibold text-white" style={{ background: colorFor(user.name) }}>
                  {user.name.slice(0, 1).toUpperCase()}
                </span>
                <span className="font-medium">{user.name}</span>
                <span className="rounded bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400">{user.role}</span>
              </span>
              <button
                type="button"
                className="rounded-md px-2 py-1 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800"
                onClick={() => {
                  void signOutEverywhere().then(() => navigate('/sign-in'));
                }}
              >
                Sign out
              </button>
            </div>
          ) : null}
        </div>
      </header>
      <div className="flex-1">{children}</div>
    </div>
  );
}
