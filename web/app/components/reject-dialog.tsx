import { useEffect, useRef, useState } from 'react';
import { api, type ApiFailure } from '../lib/api.js';
import { ErrorNotice } from './error-notice.js';
import { Button, inputClass, labelClass } from './ui.js';

/**
 * Asks before rejecting (it cannot be undone: the task leaves every future Save) and takes the
 * reason, which stays on the task and in the audit log for whoever wrote the goal.
 */
export function RejectDialog({ sessionId, taskId, prompt, onClose, onDone }: { sessionId: string; taskId: string; prompt: string; onClose: () => void; onDone: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  async function confirm() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await api('POST', `/api/sessions/${sessionId}/tasks/${taskId}/reject`, reason.trim() ? { reason: reason.trim() } : {});
      onDone();
      ref.current?.close();
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <dialog
      ref={ref}
      aria-labelledby="reject-title"
      onClose={onClose}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-zinc-950/60 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      <div className="space-y-4 p-5">
        <h2 id="reject-title" className="text-base font-semibold break-words">
          Reject “{prompt.length > 80 ? `${prompt.slice(0, 80)}…` : prompt}”?
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          The task will not be part of any Save. Its branch stays in the repository, and this cannot be undone.
        </p>
        <div>
          <label htmlFor="reject-reason" className={labelClass}>
            Reason (optional, shown on the task)
          </label>
          <textarea id="reject-reason" autoFocus rows={3} value={reason} maxLength={2000} onChange={(event) => setReason(event.target.value)} className={inputClass} />
        </div>
        <ErrorNotice error={error} title="Reject refused" />
        <div className="flex justify-end gap-2">
          <Button onClick={() => ref.current?.close()}>Keep the task</Button>
          <Button variant="danger" onClick={confirm} aria-disabled={busy || undefined}>
            {busy ? 'Rejecting…' : 'Reject task'}
          </Button>
        </div>
      </div>
    </dialog>
  );
}
