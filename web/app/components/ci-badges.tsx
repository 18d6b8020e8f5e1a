import type { SessionView } from '../lib/api-types.js';

const TONE: Record<string, string> = {
  success: 'bg-emerald-50 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  failure: 'bg-rose-50 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
  error: 'bg-rose-50 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
  pending: 'bg-amber-50 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
};

/** What CI reported on a commit, one badge per context, linked to the CI run when it gave a URL. */
export function CiBadges({ view, commit, className = '' }: { view: SessionView; commit: string | null; className?: string }) {
  const statuses = commit ? view.ciStatuses?.[commit] : undefined;
  if (!statuses || Object.keys(statuses).length === 0) return null;
  return (
    <span aria-label="CI statuses" className={`flex flex-wrap gap-1 ${className}`}>
      {Object.entries(statuses).map(([context, status]) => {
        const label = `${context}: ${status.state}`;
        const className = `rounded px-1.5 text-xs ${TONE[status.state] ?? ''}`;
        return status.url ? (
          <a key={context} href={status.url} target="_blank" rel="noreferrer noopener" className={`${className} underline`} title={status.description ?? label}>
            {label}
          </a>
        ) : (
          <span key={context} className={className} title={status.description ?? label}>
            {label}
          </span>
        );
      })}
    </span>
  );
}
