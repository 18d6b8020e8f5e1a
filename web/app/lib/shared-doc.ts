import { useEffect, useState } from 'react';
import * as Y from 'yjs';
import type { StoredUser } from './auth.js';

/** Schema of `session/{id}/shared` (sync/shared-document.ts). */
export interface Note {
  id: string;
  userId: string;
  /** Display name of the author (an extra field; userId is the token id). */
  name?: string;
  text: string;
  at: string;
  /** Set when the author changed the text after posting. */
  editedAt?: string;
}

export interface ChatMessage extends Note {
  name: string;
}

export type NoteRoot = 'annotations' | 'comments';

export function commentKey(taskId: string, path: string, line: number): string {
  return `${taskId}:${path}:${line}`;
}

function newId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

/** Re-renders whenever anything under one root of the document changes. */
function useObserved<T>(doc: Y.Doc | null, read: (doc: Y.Doc) => T, fallback: T): T {
  const [value, setValue] = useState<T>(() => (doc ? read(doc) : fallback));
  useEffect(() => {
    if (!doc) {
      setValue(fallback);
      return;
    }
    const update = () => setValue(read(doc));
    update();
    doc.on('update', update);
    return () => doc.off('update', update);
    // read/fallback are stable per call site
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [doc]);
  return value;
}

/** Notes of one root, keyed as stored (annotation: checkpoint tag; comment: task:path:line). */
export function useNotes(doc: Y.Doc | null, root: NoteRoot): Record<string, Note[]> {
  return useObserved(doc, (d) => d.getMap<Y.Array<Note>>(root).toJSON() as Record<string, Note[]>, {});
}

/** The note's author is the signed-in name; who wrote what is shown to every reviewer. */
export function addNote(doc: Y.Doc, root: NoteRoot, key: string, text: string, user: StoredUser | null): void {
  const map = doc.getMap<Y.Array<Note>>(root);
  doc.transact(() => {
    let list = map.get(key);
    if (!(list instanceof Y.Array)) {
      list = new Y.Array<Note>();
      map.set(key, list);
    }
    list.push([{ id: newId(), userId: user?.tokenId ?? 'anonymous', name: user?.name ?? 'anonymous', text, at: new Date().toISOString() }]);
  });
}

/**
 * The author changes or removes their own note. Notes are plain values in a Y.Array, so an edit
 * replaces the entry in place (same id, same position). The console offers this only to the
 * author (userId is the token id); the shared document itself does not enforce it.
 */
export function editNote(doc: Y.Doc, root: NoteRoot, key: string, id: string, text: string | null): void {
  const list = doc.getMap<Y.Array<Note>>(root).get(key);
  if (!(list instanceof Y.Array)) return;
  doc.transact(() => {
    const index = list.toArray().findIndex((note) => note.id === id);
    const note = list.get(index);
    if (index < 0 || !note) return;
    list.delete(index, 1);
    if (text !== null) list.insert(index, [{ ...note, text, editedAt: new Date().toISOString() }]);
  });
}

export function useChat(doc: Y.Doc | null): ChatMessage[] {
  return useObserved(doc, (d) => d.getArray<ChatMessage>('chat').toJSON() as ChatMessage[], []);
}

export function addChat(doc: Y.Doc, text: string, user: StoredUser | null): void {
  doc.getArray<ChatMessage>('chat').push([
    { id: newId(), userId: user?.tokenId ?? 'anonymous', name: user?.name ?? 'anonymous', text, at: new Date().toISOString() },
  ]);
}

export function useMemory(doc: Y.Doc | null): string {
  return useObserved(doc, (d) => d.getText('memory').toString(), '');
}

/** Applies a textarea edit as the smallest splice, so concurrent typists do not clobber each other. */
export function setMemory(doc: Y.Doc, next: string): void {
  const text = doc.getText('memory');
  const current = text.toString();
  if (current === next) return;
  let start = 0;
  while (start < current.length && start < next.length && current[start] === next[start]) start += 1;
  let endCurrent = current.length;
  let endNext = next.length;
  while (endCurrent > start && endNext > start && current[endCurrent - 1] === next[endNext - 1]) {
    endCurrent -= 1;
    endNext -= 1;
  }
  doc.transact(() => {
    if (endCurrent > start) text.delete(start, endCurrent - start);
    if (endNext > start) text.insert(start, next.slice(start, endNext));
  });
}
