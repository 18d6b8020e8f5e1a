/**
 * Typed, serialisable errors of the merge primitive. Conflicts are NOT errors (they are a
 * MergeOutcome); these are for inputs that cannot be merged at all.
 */
export const MERGE_ERROR_CODES = [
  'INVALID_OID',      // an input is not a 40-hex object id
  'INVALID_INPUT',    // gitdir, cache, labels or choices of the wrong shape
  'OBJECT_NOT_FOUND', // the object store has no such object
  'NOT_A_COMMIT',     // ours/theirs names something else than a commit
] as const;

export type MergeErrorCode = (typeof MERGE_ERROR_CODES)[number];

export class MergeError extends Error {
  override readonly name = 'MergeError';
  readonly code: MergeErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: MergeErrorCode, message: string, data?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.data = data;
  }

  toJSON(): { name: string; code: MergeErrorCode; message: string; data?: Record<string, unknown> } {
    return this.data === undefined
      ? { name: this.name, code: this.code, message: this.message }
      : { name: this.name, code: this.code, message: this.message, data: this.data };
  }
}
