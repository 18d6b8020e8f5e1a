import { useState } from 'react';
import { Link } from 'react-router';
import { api, type ApiFailure } from '../lib/api.js';
import type { ConflictReport, DiffFile } from '../lib/api-types.js';
import { DiffFileView } from './diff-view.js';
import { ErrorNotice } from './error-notice.js';
import { Button, Card, CardHeader, Empty, shortHash } from './ui.js';

interface SavePreviewBody {
  taskIds: string[];
  leftOut: string[];
  waiting: string[];
  base: string;
  status: 'clean' | 'conflict' | 'nothing_to_save';
  mergedTaskIds: string[];
  tree: string;
  conflict: ConflictReport | null;
  diff: { files: DiffFile[]; stats: { files: number; additions: number; deletions: number } };
}

/** What Save would merge now and the conflict it would stop on; asking moves nothing. */
export function SavePreviewPanel({ sessionId, titleOf }: { sessionId: string; titleOf: (taskId: string) => string }) {
  const [preview, setPreview] = useState<SavePreviewBody | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  async function load() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      setPreview(await api<SavePreviewBody>('GET', `/api/sessions/${sessionId}/save-preview`));
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }
  const list = (ids: string[]) => ids.map((id) => (
    <li key={id}>
      <Link className="hover:underline" to={`/sessions/${sessionId}/tasks/${id}`}>{titleOf(id)}</Link>
    </li>
  ));
  return (
    <Card aria-labelledby="save-preview-title">
      <CardHeader title="Save preview" id="save-preview-title">
        <Button onClick={() => void load()} aria-disabled={busy || undefined}>
          {busy ? 'Previewing…' : preview ? 'Refresh preview' : 'Preview Save'}
        </Button>
      </CardHeader>
      <div className="space-y-3 p-4 text-sm">
        {!preview && !error ? <p className="text-xs text-zinc-600 dark:text-zinc-400">See the combined diff Save would merge into main and any conflict it would meet. Nothing moves.</p> : null}
        <ErrorNotice error={error} title="Preview failed" onDismiss={() => setError(null)} />
        {preview ? (
          <>
            <p role="status" aria-label="Preview result" className="flex flex-wrap items-center gap-2">
              {preview.status === 'clean' ? <span className="font-medium text-emerald-700 dark:text-emerald-400">Merges cleanly</span> : null}
              {preview.status === 'conflict' ? <span className="font-medium text-rose-700 dark:text-rose-400">Would stop on a conflict</span> : null}
              {preview.status === 'nothing_to_save' ? <span className="font-medium text-zinc-700 dark:text-zinc-300">Nothing to merge</span> : null}
              <span className="text-xs text-zinc-500">onto {shortHash(preview.base)} · tree <code className="font-mono" data-testid="preview-tree">{preview.tree}</code></span>
            </p>
            <div className="grid gap-3 sm:grid-cols-3">
              <div>
                <h3 className="text-xs font-semibold text-zinc-600 dark:text-zinc-400">Merged ({preview.taskIds.length})</h3>
                <ul className="mt-1 space-y-0.5" aria-label="Tasks Save merges">{list(preview.taskIds)}</ul>
              </div>
              <div>
                <h3 className="text-xs font-semibold text-zinc-600 dark:text-zinc-400">Waiting for approval ({preview.leftOut.length})</h3>
                <ul className="mt-1 space-y-0.5" aria-label="Tasks left out">{list(preview.leftOut)}</ul>
              </div>
              <div>
                <h3 className="text-xs font-semibold text-zinc-600 dark:text-zinc-400">Still working ({preview.waiting.length})</h3>
                <ul className="mt-1 space-y-0.5">{list(preview.waiting)}</ul>
              </div>
            </div>
            {preview.conflict ? (
              <div role="alert" className="rounded-md bg-rose-50 px-3 py-2 text-rose-900 dark:bg-rose-950 dark:text-rose-200">
                {titleOf(preview.conflict.taskId)} conflicts in {preview.conflict.files.map((file) => file.path).join(', ')}.
              </div>
            ) : null}
            {preview.diff.files.length === 0 ? <Empty>No changes against main.</Empty> : null}
            {preview.diff.files.map((file) => (
              <DiffFileView key={file.path} taskId="save-preview" file={file} comments={{}} doc={null} canComment={false} user={null} />
            ))}
          </>
        ) : null}
      </div>
    </Card>
  );
}
