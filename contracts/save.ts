// What a Save produces, from the engine's merge report to the result the session records. One
// definition for git-engine (which builds them), the actors (which record them), the runtime (which
// serves them) and the console (which renders them).
import { z } from 'zod';

export const GateResultSchema = z.object({
  command: z.string(),
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  output: z.string(),
});
export type GateResult = z.infer<typeof GateResultSchema>;

export const AutoResolutionSchema = z.object({
  path: z.string(),
  /** `whitespace_only`, `adjacent_hunks`, `identical_change`, or a newer policy's rule name. */
  rule: z.string(),
  detail: z.string(),
});
export type AutoResolution = z.infer<typeof AutoResolutionSchema>;

export const ConflictKindSchema = z.enum(['content', 'add_add', 'modify_delete', 'binary', 'mode', 'rename', 'file_directory', 'criss_cross']);
export type ConflictKind = z.infer<typeof ConflictKindSchema>;

export const ConflictSideSchema = z.object({ oid: z.string().nullable(), mode: z.string().nullable() });
export type ConflictSide = z.infer<typeof ConflictSideSchema>;

export const ConflictHunkSchema = z.object({
  /** 1-based line number in the base version where the conflicting region starts. */
  baseStart: z.number().int(),
  base: z.array(z.string()),
  ours: z.array(z.string()),
  theirs: z.array(z.string()),
});
export type ConflictHunk = z.infer<typeof ConflictHunkSchema>;

export const ConflictFileSchema = z.object({
  path: z.string(),
  kind: ConflictKindSchema,
  base: ConflictSideSchema,
  ours: ConflictSideSchema,
  theirs: ConflictSideSchema,
  hunks: z.array(ConflictHunkSchema),
  summary: z.string(),
});
export type ConflictFile = z.infer<typeof ConflictFileSchema>;

/** The most a hand-written hunk may hold, in UTF-8 bytes. */
export const MAX_RESOLUTION_TEXT_BYTES = 1024 * 1024;

/**
 * A person's choice for one conflict of a Save's report. `hunk` indexes `ConflictFile.hunks`;
 * without it the choice is for the whole file (binary, modify/delete, ...: `ours` or `theirs`
 * only). A hunk may also take `both` (ours' lines, then theirs', git's union order) or `manual`
 * with `text`, the exact replacement for the hunk's lines (UTF-8, no NUL, at most
 * MAX_RESOLUTION_TEXT_BYTES; a missing final line break is added where the hunk's sides have one).
 */
export const ConflictChoiceSchema = z.object({
  path: z.string(),
  hunk: z.number().int().nonnegative().optional(),
  side: z.enum(['ours', 'theirs', 'both', 'manual']),
  text: z.string().optional(),
});
export type ConflictChoice = z.infer<typeof ConflictChoiceSchema>;
export type ConflictChoiceSide = ConflictChoice['side'];

export const ConflictReportSchema = z.object({
  sessionId: z.string(),
  taskId: z.string(),
  branch: z.string(),
  ours: z.string(),
  theirs: z.string(),
  files: z.array(ConflictFileSchema),
  autoResolved: z.array(AutoResolutionSchema),
  summary: z.object({ files: z.number().int(), hunks: z.number().int() }),
});
export type ConflictReport = z.infer<typeof ConflictReportSchema>;

/**
 * Which change made a gate fail, found by re-running the failing gate along the Save's merges
 * (main, then main plus each task in merge order): the first point where it fails. `main`: it
 * already failed before any task of this Save; `unknown`: it could not be told (and why).
 */
export const GateBlameSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('task'), taskId: z.string(), commit: z.string(), gate: z.string(), runs: z.number().int() }),
  z.object({ status: z.literal('main'), commit: z.string(), gate: z.string(), runs: z.number().int() }),
  z.object({ status: z.literal('unknown'), gate: z.string(), reason: z.string(), runs: z.number().int() }),
]);
export type GateBlame = z.infer<typeof GateBlameSchema>;

export const CodedErrorSchema = z.object({ code: z.string(), message: z.string() });
export type CodedError = z.infer<typeof CodedErrorSchema>;

/** What the engine's Save returns. */
export const EngineSaveResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('published'),
    commit: z.string(),
    tag: z.string(),
    integrationCommit: z.string(),
    mergedTaskIds: z.array(z.string()),
    autoResolved: z.array(AutoResolutionSchema),
    gates: z.array(GateResultSchema),
  }),
  z.object({ status: z.literal('conflict'), report: ConflictReportSchema }),
  z.object({
    status: z.literal('gates_failed'), integrationCommit: z.string(), mergedTaskIds: z.array(z.string()), gates: z.array(GateResultSchema),
    /** Absent in Saves recorded before blame existed. */
    blame: GateBlameSchema.optional(),
  }),
  z.object({ status: z.literal('nothing_to_save') }),
]);
export type EngineSaveResult = z.infer<typeof EngineSaveResultSchema>;

/**
 * What a session records as the outcome of a Save: the engine's result, or an error the runtime
 * met running it (the engine threw, the runtime restarted mid-Save).
 */
export const SaveResultSchema = z.union([
  EngineSaveResultSchema,
  z.object({ status: z.literal('error'), error: CodedErrorSchema }),
]);
export type SaveResult = z.infer<typeof SaveResultSchema>;
export type SaveStatus = SaveResult['status'];

export const RollbackModeSchema = z.enum(['restore_commit', 'branch']);
export type RollbackMode = z.infer<typeof RollbackModeSchema>;

export const RollbackResultSchema = z.union([
  z.object({ status: z.literal('completed'), mode: RollbackModeSchema.optional(), commit: z.string().nullable(), branch: z.string().nullable(), worktreePath: z.string().optional() }),
  z.object({ status: z.literal('error'), error: CodedErrorSchema }),
]);
export type RollbackResult = z.infer<typeof RollbackResultSchema>;
