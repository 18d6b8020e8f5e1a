import { useRef, useState, type FormEvent } from 'react';
import type * as Y from 'yjs';
import type { StoredUser } from '../lib/auth.js';
import { editNote, type Note, type NoteRoot } from '../lib/shared-doc.js';
import { Button, inputClass, timeAgo } from './ui.js';

/**
 * Review comments and checkpoint notes. Their author (and only they) can edit or delete each one;
 * a deleted note is gone for everyone at once, like any other shared edit.
 */
export function NoteList({ notes, doc, root, noteKey, user, itemClassName = 'text-sm' }: {
  notes: Note[];
  doc: Y.Doc | null;
  root: NoteRoot;
  noteKey: string;
  user: StoredUser | null;
  itemClassName?: string;
}) {
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <ul className="space-y-1.5">
      {notes.map((note) => {
        const own = doc !== null && user !== null && note.userId === user.tokenId;
        return (
          <li key={note.id} className={itemClassName}>
            <span className="font-medium">{note.name ?? note.userId}</span>{' '}
            <span className="text-xs text-zinc-600 dark:text-zinc-400">
              {timeAgo(note.at)}
              {note.editedAt ? ' · edited' : ''}
            </span>
            {editing === note.id && doc ? (
              <EditForm
                note={note}
                onDone={(text) => {
                  if (text !== null) editNote(doc, root, noteKey, note.id, text);
                  setEditing(null);
                }}
              />
            ) : (
              <p className="break-words whitespace-pre-wrap text-zinc-700 dark:text-zinc-300">{note.text}</p>
            )}
            {own && editing !== note.id ? (
              <span className="mt-0.5 flex gap-1">
                <button type="button" onClick={() => setEditing(note.id)} aria-label={`Edit your note: ${note.text.slice(0, 40)}`} className="rounded px-1 text-xs text-indigo-700 hover:underline dark:text-indigo-300">
                  Edit
                </button>
                <button
                  type="button"
                  onClick={() => {
                    if (doc && window.confirm('Delete this note for everyone?')) editNote(doc, root, noteKey, note.id, null);
                  }}
                  aria-label={`Delete your note: ${note.text.slice(0, 40)}`}
                  className="rounded px-1 text-xs text-rose-700 hover:underline dark:text-rose-300"
                >
                  Delete
                </button>
              </span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

function EditForm({ note, onDone }: { note: Note; onDone: (text: string | null) => void }) {
  const [text, setText] = useState(note.text);
  const ref = useRef<HTMLTextAreaElement>(null);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (text.trim()) onDone(text.trim());
  }
  return (
    <form onSubmit={submit} className="mt-1 flex flex-col gap-1.5">
      <label className="sr-only" htmlFor={`edit-${note.id}`}>
        Edit note
      </label>
      <textarea
        id={`edit-${note.id}`}
        ref={ref}
        autoFocus
        rows={2}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onDone(null);
        }}
        className={inputClass}
      />
      <span className="flex gap-2">
        <Button type="submit" variant="primary" disabled={!text.trim()}>
          Save note
        </Button>
        <Button variant="ghost" onClick={() => onDone(null)}>
          Cancel
        </Button>
      </span>
    </form>
  );
}
