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
