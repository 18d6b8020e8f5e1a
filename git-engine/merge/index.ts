// Public surface of the merge primitive (see README.md).
export { mergeCommits } from './merge-commits.js';
export { MergeError, MERGE_ERROR_CODES } from './merge-error.js';
export { WHITESPACE_RULE_KEEPS } from './merge-policy.js';
export type { MergeErrorCode } from './merge-error.js';
export type { PolicyRule } from './merge-policy.js';
export type {
  AutoResolution, ConflictChoice, ConflictFile, ConflictHunk, ConflictKind, ConflictReport, ConflictSide,
  MergeCommitsInput, MergeOutcome,
} from './merge-types.js';
