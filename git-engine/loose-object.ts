// A loose object's bytes as git frames them (`type size\0content`, named by its SHA-1), and the
// check that a file on disk is such an object: one definition for every writer of the engine.
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';

export type LooseObjectType = 'commit' | 'tag' | 'tree' | 'blob';

/** The framed bytes of an object (what is deflated into its file) and its id. */
export function frameObject(type: LooseObjectType, content: Uint8Array): { raw: Buffer; oid: string } {
  const raw = Buffer.concat([Buffer.from(`${type} ${content.byteLength}\0`), content]);
  return { raw, oid: createHash('sha1').update(raw).digest('hex') };
}

/** True when `deflated` (a loose object file's bytes) inflates completely to an object named `oid`. */
export function isSoundLooseObject(deflated: Uint8Array, oid: string): boolean {
  try {
    return createHash('sha1').update(inflateSync(deflated)).digest('hex') === oid;
  } catch {
    return false;
  }
}
