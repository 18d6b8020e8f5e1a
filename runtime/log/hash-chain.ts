import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

/** Canonical JSON: sorted keys, no cycles. The audit hash must not depend on key insertion order. */
const canonicalStringify = configure({ deterministic: true, bigint: false, circularValue: Error });

export const GENESIS_HASH = '0'.repeat(64);

/** The hash covers every field of the entry except the hash itself, including the previous hash. */
export function hashEntry(entryWithoutHash: object): string {
  const text = canonicalStringify(entryWithoutHash);
  if (text === undefined) throw new Error('entry is not serialisable');
  return createHash('sha256').update(text).digest('hex');
}
