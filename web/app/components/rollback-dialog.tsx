import { useEffect, useRef, useState } from 'react';
import { api, type ApiFailure } from '../lib/api.js';
import { ErrorNotice } from './error-notice.js';
import { Button } from './ui.js';

/** Asks before rolling back; rollback makes new history (a restore commit or a branch), never rewrites. */
export function RollbackDialog({ sessionId, tag, onClose, onDone }: { sessionId: string; tag: string; onClose: () => void; onDone: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [mode, setMode] = useState<'restore_commit' | 'branch'>('restore_commit');
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
      await api('POST', `/api/sessions/${sessionId}/rollback`, { checkpoint: tag, mode });
      onDone();
      // Closing (rather than unmounting) lets the browser return focus to the opening button.
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
      aria-labelledby="rollback-title"
      onClose={onClose}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-xl border border-zinc-200 bg-white p-0 text-zinc-900 shadow-xl backdrop:bg-zinc-950/60 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
    >
      <div className="space-y-4 p-5">
        <h2 id="rollback-title" className="text-base font-semibold">
          Roll back to {tag}?
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Nothing is rewritten or lost: the rollback adds new history and appears on the timeline.
        </p>
        <fieldset className="space-y-2">
          <legend className="mb-1 text-xs font-medium text-zinc-500">How</legend>
          <label className="flex items-start gap-2 text-sm">
            <input type="radio" name="mode" value="restore_commit" checked={mode === 'restore_commit'} onChange={() => setMode('restore_commit')} className="mt-1" />
            <span>
              <strong className="font-medium">Restore commit on main</strong>
              <span className="block text-xs text-zinc-500">main gets a new commit whose files equal the checkpoint.</span>
            </span>
          </label>
          <label className="flex items-start gap-2 text-sm">
            <input type="radio" name="mode" value="branch" checked={mode === 'branch'} onChange={() => setMode('branch')} className="mt-1" />
            <span>
              <strong className="font-medium">New branch from the checkpoint</strong>
              <span className="block text-xs text-zinc-500">main stays where it is; a branch starts at the checkpoint.</span>
            </span>
          </label>
        </fieldset>
        <ErrorNotice error={error} title="Rollback refused" />
        <div className="flex justify-end gap-2">
          <Button onClick={() => ref.current?.close()}>Keep current state</Button>
          {/* aria-disabled, not disabled: focus stays on the button while the request is out. */}
          <Button variant="danger" onClick={confirm} aria-disabled={busy || undefined}>
            {busy ? 'Rolling back…' : 'Confirm rollback'}
          </Button>
        </div>
      </div>
    </dialog>
  );
}
