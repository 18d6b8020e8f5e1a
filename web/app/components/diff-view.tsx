import { Fragment, useRef, useState, type FormEvent } from 'react';
import type * as Y from 'yjs';
import type { DiffFile } from '../lib/api-types.js';
import type { StoredUser } from '../lib/auth.js';
import { addNote, commentKey, type Note } from '../lib/shared-doc.js';
import { parsePatch } from '../lib/unified-diff.js';
import { NoteList } from './note-list.js';
import { Button, inputClass } from './ui.js';

const ROW: Record<string, string> = {
  add: 'bg-emerald-50 dark:bg-emerald-950/40',
  del: 'bg-rose-50 dark:bg-rose-950/40',
  context: '',
  hunk: 'bg-sky-50 text-sky-800 dark:bg-sky-950/40 dark:text-sky-300',
  meta: 'text-zinc-500',
};

function CommentForm({ label, onSubmit, onCancel }: { label: string; onSubmit: (text: string) => void; onCancel: () => void }) {
  const [text, setText] = useState('');
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) return;
    onSubmit(text.trim());
    setText('');
  }
  return (
    <form onSubmit={submit} className="mt-2 flex flex-col gap-2 sm:flex-row">
      <label className="sr-only" htmlFor={`c-${label}`}>
        {label}
      </label>
      <textarea
        id={`c-${label}`}
        autoFocus
        rows={2}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onCancel();
          if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
            event.preventDefault();
            event.currentTarget.form?.requestSubmit();
          }
        }}
        className={inputClass}
        placeholder="Leave a review comment (visible to everyone)"
      />
      <div className="flex gap-2 sm:flex-col">
        <Button type="submit" variant="primary" disabled={!text.trim()}>
          Add comment
        </Button>
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** One file of a task's diff, with review comments anchored to new-side line numbers. */
export function DiffFileView({
  taskId,
  file,
  comments,
  doc,
  canComment,
  user,
}: {
  taskId: string;
  file: DiffFile;
  comments: Record<string, Note[]>;
  doc: Y.Doc | null;
  canComment: boolean;
  user: StoredUser | null;
}) {
  const [open, setOpen] = useState<number | null>(null);
  const [announce, setAnnounce] = useState('');
  const table = useRef<HTMLTableElement>(null);
  const lines = parsePatch(file.patch);
  /** The form unmounts on submit or cancel: focus returns to its line's + button, not to <body>. */
  function close(line: number) {
    setOpen(null);
    requestAnimationFrame(() => table.current?.querySelector<HTMLButtonElement>(`button[data-line="${line}"]`)?.focus());
  }
  return (
    <section aria-label={`Diff of ${file.path}`} className="overflow-hidden rounded-lg border border-zinc-200 dark:border-zinc-800">
      <header className="flex flex-wrap items-center gap-2 border-b border-zinc-200 bg-zinc-50 px-3 py-2 text-sm dark:border-zinc-800 dark:bg-zinc-900">
        <span className="font-mono font-medium break-all">{file.path}</span>
        <span className="rounded bg-zinc-200 px-1.5 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">{file.status}</span>
        <span className="ml-auto font-mono text-xs">
          <span className="text-emerald-600 dark:text-emerald-400">+{file.additions}</span> <span className="text-rose-600 dark:text-rose-400">−{file.deletions}</span>
        </span>
      </header>
      <p role="status" className="sr-only">
        {announce}
      </p>
      {file.binary ? <p className="p-3 text-sm text-zinc-500">Binary file; no text diff.</p> : null}
      <div className="overflow-x-auto">
        <table ref={table} className="w-full border-collapse font-mono text-xs">
          <tbody>
            {lines.map((line, index) => {
              const key = line.newLine !== null ? commentKey(taskId, file.path, line.newLine) : null;
              const notes = key ? (comments[key] ?? []) : [];
              const commentable = line.newLine !== null && doc !== null && canComment;
              return (
                <Fragment key={index}>
                  <tr className={`group ${ROW[line.kind]}`}>
                    <td className="w-10 border-r border-zinc-200 px-2 text-right text-zinc-500 select-none dark:border-zinc-800 dark:text-zinc-400">{line.oldLine ?? ''}</td>
                    <td
                      className={`w-10 border-r border-zinc-200 px-2 text-right text-zinc-500 select-none dark:border-zinc-800 dark:text-zinc-400 ${commentable ? 'cursor-pointer hover:text-indigo-700 dark:hover:text-indigo-300' : ''}`}
                      onClick={commentable ? () => setOpen(open === line.newLine ? null : line.newLine) : undefined}
                    >
                      {line.newLine ?? ''}
                    </td>
                    <td className="w-7 text-center">
                      {commentable ? (
                        <button
                          type="button"
                          aria-label={`Comment on ${file.path} line ${line.newLine}`}
                          data-line={line.newLine ?? undefined}
                          onClick={() => setOpen(open === line.newLine ? null : line.newLine)}
                          className="size-5 rounded bg-indigo-600 text-white opacity-25 group-hover:opacity-100 focus:opacity-100"
                        >
                          +
                        </button>
                      ) : null}
                    </td>
                    <td className="px-2 py-px whitespace-pre">
                      <span aria-hidden className="mr-2 text-zinc-500 select-none">
                        {line.kind === 'add' ? '+' : line.kind === 'del' ? '−' : ' '}
                      </span>
                      {line.text}
                    </td>
                  </tr>
                  {notes.length > 0 || (open !== null && open === line.newLine) ? (
                    <tr>
                      <td colSpan={4} className="border-y border-zinc-200 bg-white px-4 py-2 font-sans dark:border-zinc-800 dark:bg-zinc-900">
                        <div role="group" aria-label={`Comments on ${file.path} line ${line.newLine}`}>
                          <NoteList notes={notes} doc={doc} root="comments" noteKey={key ?? ''} user={canComment ? user : null} />
                          {open === line.newLine && doc ? (
                            <CommentForm
                              label={`Comment for ${file.path} line ${line.newLine}`}
                              onCancel={() => {
                                if (line.newLine !== null) close(line.newLine);
                              }}
                              onSubmit={(text) => {
                                if (line.newLine === null) return;
                                addNote(doc, 'comments', commentKey(taskId, file.path, line.newLine), text, user);
                                setAnnounce(`Comment added on ${file.path} line ${line.newLine}.`);
                                close(line.newLine);
                              }}
                            />
                          ) : null}
                        </div>
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
