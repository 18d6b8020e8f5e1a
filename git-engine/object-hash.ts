// Git object ids computed locally (SHA-1 of "<type> <len>\0<content>"), so the worker can compare
// a file with a tree entry without writing an object.
import { createHash } from 'node:crypto';

export function hashBlob(content: Uint8Array): string {
  const h = createHash('sha1');
  h.update(`blob ${content.byteLength}\0`);
  h.update(content);
  return h.digest('hex');
}

export const OID_RE = /^[0-9a-f]{40}$/;
