import { useState } from 'react';
import { Link } from 'react-router';
import type { PendingPermission, SessionView } from '../../../contracts/index.js';
import { api, type ApiFailure } from '../lib/api.js';
import { roleAtLeast, type StoredUser } from '../lib/auth.js';
import { ErrorNotice } from './error-notice.js';
import { Button, inputClass, labelClass, timeAgo } from './ui.js';

/** Agents that speak ACP: their runs take messages and ask permission (adapters/acp.adapter.ts). */
export function isAcpAgent(agent: string): boolean {
  return agent.endsWith('-acp');
}

function PermissionCard({ sessionId, pending, prompt, canAnswer, onAnswered }: { sessionId: string; pending: PendingPermission; prompt: string; canAnswer: boolean; onAnswered: () => void }) {
  const { request } = pending;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  async function answer(decision: 'allow' | 'deny', optionId?: string) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/permissions/${request.requestId}`, { decision, ...(optionId ? { optionId } : {}) });
      onAnswered();
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }
  const label = `Permission request: ${request.title}`;
  return (
    <li aria-label={label} data-testid="permission-request" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
      <p className="flex flex-wrap items-baseline gap-x-2">
        <span className="font-medium">{request.title}</span>
        <span className="text-xs">
          asked by the agent of <Link className="underline" to={`/sessions/${sessionId}/tasks/${pending.taskId}`}>{prompt.length > 60 ? `${prompt.slice(0, 60)}…` : prompt}</Link> {timeAgo(pending.at)}; denied if nobody answers by {new Date(pending.expiresAt).toLocaleTimeString()}
        </span>
      </p>
      {request.detail ? <pre className="mt-1 max-h-32 overflow-auto whitespace-pre-wrap break-words rounded bg-white/70 px-2 py-1 font-mono text-xs dark:bg-black/30">{request.detail}</pre> : null}
      {canAnswer ? (
        <div className="mt-2 flex flex-wrap gap-2">
          {request.options.map((option) => (
            <Button
              key={option.optionId}
              data-option-kind={option.kind}
              variant={option.kind === 'allow_once' ? 'primary' : option.kind.startsWith('reject') ? 'danger' : 'secondary'}
              aria-disabled={busy || undefined}
              onClick={() => void answer(option.kind.startsWith('allow') ? 'allow' : 'deny', option.optionId)}
            >
              {option.name}
            </Button>
          ))}
        </div>
      ) : (
        <p className="mt-1 text-xs">A reviewer or operator answers this request.</p>
      )}
      <ErrorNotice error={error} title="Answer refused" onDismiss={() => setError(null)} />
    </li>
  );
}

/** Every live ACP agent's open permission requests, shown to everyone on the session. */
export function PermissionRequests({ view, role, onAnswered }: { view: SessionView; role: StoredUser['role'] | undefined; onAnswered: () => void }) {
  const pending = view.pendingPermissions ?? [];
  if (pending.length === 0) return null;
  const canAnswer = roleAtLeast(role, 'reviewer');
  return (
    <section aria-label="Agent permission requests">
      <ul className="space-y-2">
        {pending.map((p) => (
          <PermissionCard key={p.request.requestId} sessionId={view.id} pending={p} prompt={view.tasks.find((t) => t.id === p.taskId)?.prompt ?? p.taskId} canAnswer={canAnswer} onAnswered={onAnswered} />
        ))}
      </ul>
    </section>
  );
}

/** A person's message to a running ACP agent: heard at its next turn, or at once with "interrupt". */
export function AgentMessageBox({ sessionId, taskId, onSent }: { sessionId: string; taskId: string; onSent: () => void }) {
  const [text, setText] = useState('');
  const [interrupt, setInterrupt] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  async function send() {
    if (busy || text.trim() === '') return;
    setBusy(true);
    setError(null);
    try {
      const result = await api<{ delivery: string }>('POST', `/api/sessions/${sessionId}/tasks/${taskId}/messages`, { text: text.trim(), interrupt });
      setSent(result.delivery === 'interrupt' ? 'Sent: the agent stopped its turn to read it.' : 'Sent: the agent reads it when its current turn ends.');
      setText('');
      onSent();
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      aria-label="Steer the agent"
      className="space-y-2 border-t border-zinc-200 px-4 py-3 dark:border-zinc-800"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <label htmlFor="agent-message" className={labelClass}>
        Message the agent
      </label>
      <textarea id="agent-message" rows={2} value={text} maxLength={16_000} onChange={(event) => setText(event.target.value)} className={inputClass} />
      <div className="flex flex-wrap items-center justify-between gap-2">
        <label className="flex items-center gap-1.5 text-xs text-zinc-600 dark:text-zinc-400">
          <input type="checkbox" checked={interrupt} onChange={(event) => setInterrupt(event.target.checked)} />
          Interrupt its current turn
        </label>
        <Button type="submit" variant="primary" aria-disabled={busy || text.trim() === '' || undefined}>
          {busy ? 'Sending…' : 'Send'}
        </Button>
      </div>
      {sent ? <p role="status" className="text-xs text-zinc-600 dark:text-zinc-400">{sent}</p> : null}
      <ErrorNotice error={error} title="Message refused" onDismiss={() => setError(null)} />
    </form>
  );
}
