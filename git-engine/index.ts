// Public surface of git-engine (see README.md).
export { createGitEngine } from './engine.js';
export { GitEngineError, GIT_ENGINE_ERROR_CODES } from './errors.js';
export type { GitEngine, GitEngineOptions } from './engine.js';
export type { GitEngineErrorCode, SerializedGitEngineError } from './errors.js';
export type { SaveResult, GateResult } from './save-types.js';
export type { TaskDiff, TaskDiffFile } from './inspect.js';
export type { Checkpoint } from './checkpoints.js';
export type { RollbackResult } from './rollback.js';
export type { ResolveConflictParams, ResolveConflictResult } from './resolve-conflict-params.js';
export type { Change, ChangeKind } from './snapshot-commit.js';
export type { AutoResolution, ConflictChoice, ConflictFile, ConflictReport } from './merge/index.js';
export type { PendingSave, RecoverSaveResult } from './save-recovery.js';
export type { SaveParams } from './save.js';
export type { LogHead } from './save-ops.js';
export type { TaskFilesResult } from './task-files.js';
export type { CopyNote } from './copy-local-files.js';
export { DEFAULT_SETUP_TIMEOUT_MS, MAX_SETUP_TIMEOUT_MS, MIN_SETUP_TIMEOUT_MS } from './gate-config.js';
export { runGate, type GateSpawner } from './gates.js';
