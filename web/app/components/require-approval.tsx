import { useState } from 'react';
import { api, type ApiFailure } from '../lib/api.js';
import { ErrorNotice } from './error-notice.js';

/** The session's requireApproval setting: operators change it, everyone sees it. */
export function RequireApprovalToggle({ sessionId, value, canChange, onChanged }: { sessionId: string; value: boolean; canChange: boolean; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);
  async function change(next: boolean) {
    setBusy(true);
    setError(null);
    try {
      await api('PUT', `/api/sessions/${sessionId}/settings`, { requireApproval: next });
      onChanged();
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="text-xs text-zinc-600 dark:text-zinc-400">
      <label className="inline-flex items-center gap-1.5">
        <input type="checkbox" checked={value} disabled={!canChange || busy} onChange={(event) => void change(event.target.checked)} />
        Save merges approved tasks only
      </label>
      <ErrorNotice error={error} title="Setting refused" onDismiss={() => setError(null)} />
    </div>
  );
}
