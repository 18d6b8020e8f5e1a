import type * as Y from 'yjs';

/**
 * Schema of `session/{id}/shared`, what people write together (see README.md):
 * - Y.Text 'memory': the session's shared notes, handed to agents with each task
 * - Y.Array 'chat' of { id, userId, name, text, at }
 * - Y.Map 'annotations': checkpoint tag -> Y.Array of { id, userId, text, at }
 * - Y.Map 'comments': `${taskId}:${path}:${line}` -> Y.Array of { id, userId, text, at }
 */
export const SHARED_ROOT = {
  memory: 'memory',
  chat: 'chat',
  annotations: 'annotations',
  comments: 'comments',
} as const;

export interface ChatMessage {
  id: string;
  userId: string;
  name: string;
  text: string;
  at: string;
}

export interface Note {
  id: string;
  userId: string;
  text: string;
  at: string;
}

export function commentKey(taskId: string, path: string, line: number): string {
  return `${taskId}:${path}:${line}`;
}

export function sharedRoots(doc: Y.Doc): {
  memory: Y.Text;
  chat: Y.Array<ChatMessage>;
  annotations: Y.Map<Y.Array<Note>>;
  comments: Y.Map<Y.Array<Note>>;
} {
  return {
    memory: doc.getText(SHARED_ROOT.memory),
    chat: doc.getArray<ChatMessage>(SHARED_ROOT.chat),
    annotations: doc.getMap<Y.Array<Note>>(SHARED_ROOT.annotations),
    comments: doc.getMap<Y.Array<Note>>(SHARED_ROOT.comments),
  };
}

/** A line comment on a task's diff, read back from the `comments` map. */
export interface TaskLineComment {
  id: string;
  path: string;
  /** The new side's line number. */
  line: number;
  text: string;
  /** The author's name as the server stamped it. */
  by: string;
  at: string;
}

/**
 * The comments on `taskId`, ordered by path, line and time. Keys are `${taskId}:${path}:${line}`;
 * a path may hold ':' itself, so the line is what follows the last one.
 */
export function taskComments(comments: Y.Map<Y.Array<Note>>, taskId: string): TaskLineComment[] {
  const found: TaskLineComment[] = [];
  const prefix = `${taskId}:`;
  comments.forEach((notes, key) => {
    if (!key.startsWith(prefix)) return;
    const rest = key.slice(prefix.length);
    const cut = rest.lastIndexOf(':');
    const line = Number(rest.slice(cut + 1));
    const path = rest.slice(0, cut);
    if (cut <= 0 || !Number.isInteger(line) || line < 1) return;
    for (const note of notes.toArray()) {
      if (typeof note?.text !== 'string' || note.text.trim() === '') continue;
      const stamped = note as Note & { name?: unknown };
      found.push({ id: String(note.id ?? ''), path, line, text: note.text, by: typeof stamped.name === 'string' ? stamped.name : String(note.userId ?? ''), at: String(note.at ?? '') });
    }
  });
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)));
}
