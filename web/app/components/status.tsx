import type { SessionStatus, TaskStatus } from '../lib/api-types.js';

const TASK: Record<TaskStatus, { label: string; tone: string }> = {
  queued: { label: 'Queued', tone: 'zinc' },
  preparing: { label: 'Preparing', tone: 'sky' },
  running: { label: 'Running', tone: 'sky' },
  retry_wait: { label: 'Retrying', tone: 'amber' },
  committing: { label: 'Committing', tone: 'sky' },
  ready_for_review: { label: 'Ready for review', tone: 'violet' },
  merged: { label: 'Merged', tone: 'emerald' },
  rejected: { label: 'Rejected', tone: 'zinc' },
  failed: { label: 'Failed', tone: 'rose' },
  cancelled: { label: 'Cancelled', tone: 'zinc' },
  interrupted: { label: 'Interrupted', tone: 'amber' },
};

const SESSION: Record<SessionStatus, { label: string; tone: string }> = {
  idle: { label: 'Idle', tone: 'zinc' },
  active: { label: 'Active', tone: 'emerald' },
  frozen: { label: 'Frozen', tone: 'sky' },
  saving: { label: 'Saving', tone: 'sky' },
  awaiting_review: { label: 'Awaiting review', tone: 'amber' },
  damaged: { label: 'Damaged (read-only)', tone: 'rose' },
};

const TONES: Record<string, string> = {
  zinc: 'bg-zinc-100 text-zinc-700 ring-zinc-300 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-700',
  sky: 'bg-sky-50 text-sky-700 ring-sky-200 dark:bg-sky-950 dark:text-sky-300 dark:ring-sky-900',
  amber: 'bg-amber-50 text-amber-800 ring-amber-200 dark:bg-amber-950 dark:text-amber-300 dark:ring-amber-900',
  violet: 'bg-violet-50 text-violet-700 ring-violet-200 dark:bg-violet-950 dark:text-violet-300 dark:ring-violet-900',
  emerald: 'bg-emerald-50 text-emerald-700 ring-emerald-200 dark:bg-emerald-950 dark:text-emerald-300 dark:ring-emerald-900',
  rose: 'bg-rose-50 text-rose-700 ring-rose-200 dark:bg-rose-950 dark:text-rose-300 dark:ring-rose-900',
};

export function Badge({ tone, children, pulse = false }: { tone: string; children: React.ReactNode; pulse?: boolean }) {
  return (
    <span className={`inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${TONES[tone] ?? TONES.zinc}`}>
      {pulse ? <span aria-hidden className="size-1.5 animate-pulse rounded-full bg-current" /> : null}
      {children}
    </span>
  );
}

const ACTIVE: ReadonlySet<TaskStatus> = new Set(['preparing', 'running', 'committing', 'retry_wait']);

export function isTaskActive(status: TaskStatus): boolean {
  return ACTIVE.has(status);
}

export function taskStatusLabel(status: TaskStatus): string {
  return TASK[status]?.label ?? status;
}

export function TaskStatusBadge({ status }: { status: TaskStatus }) {
  const info = TASK[status] ?? { label: status, tone: 'zinc' };
  return (
    <Badge tone={info.tone} pulse={ACTIVE.has(status)}>
      {info.label}
    </Badge>
  );
}

export function SessionStatusBadge({ status }: { status: SessionStatus }) {
  const info = SESSION[status] ?? { label: status, tone: 'zinc' };
  return (
    <Badge tone={info.tone} pulse={status === 'saving' || status === 'frozen'}>
      {info.label}
    </Badge>
  );
}
