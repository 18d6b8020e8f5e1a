import * as Y from 'yjs';
import { encodeDecodedUpdate } from './update-encoding.js';

export interface Author {
  userId: string;
  name: string;
}

export type StampResult =
  | { kind: 'unchanged' }
  | { kind: 'rewritten'; update: Uint8Array }
  | { kind: 'refused'; reason: string };

/**
 * Stamps the author of everything a client writes into a session's shared document.
 *
 * Every plain object in that document is a chat message, an annotation or a comment (see
 * shared-document.ts), and each names its author with `userId` and `name`. Whatever the client
 * wrote there is replaced by the identity of the token the connection authenticated with, before
 * the update is stored, applied or relayed. Item ids and lengths stay as they are, so the
 * rewritten update is a valid update of the same operations. Nested types other than the arrays
 * that hold notes (and sub-documents) are refused: a `Y.Map` note could carry an author field
 * whose key an overwrite does not encode.
 */
export function stampAuthors(update: Uint8Array, author: Author): StampResult {
  const decoded = Y.decodeUpdate(update);
  let changed = false;
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item)) continue;
    const content = struct.content;
    if (content instanceof Y.ContentType) {
      if (!(content.type instanceof Y.Array)) return { kind: 'refused', reason: 'only arrays may be nested in the shared document' };
    } else if (content instanceof Y.ContentDoc) {
      return { kind: 'refused', reason: 'sub-documents are not accepted' };
    } else if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) {
      const values = content.arr as unknown[];
      for (let i = 0; i < values.length; i++) {
        const stamped = stampValue(values[i], author);
        if (stamped !== values[i]) {
          values[i] = stamped;
          changed = true;
        }
      }
    }
  }
  return changed ? { kind: 'rewritten', update: encodeDecodedUpdate(decoded) } : { kind: 'unchanged' };
}

function stampValue(value: unknown, author: Author): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return value;
  const record = value as Record<string, unknown>;
  if (record.userId === author.userId && record.name === author.name && !('author' in record)) return value;
  const { author: _claimed, ...rest } = record;
  return { ...rest, userId: author.userId, name: author.name };
}
