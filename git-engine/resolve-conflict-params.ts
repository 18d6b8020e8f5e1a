// The public parameters of GitEngine.resolveConflict, validated on the main thread before any
// repository work (ids, commit ids, the shape of every choice, the resolver's name).
import { GitEngineError } from './errors.js';
import { OID_RE } from './object-hash.js';
import { MAX_RESOLUTION_TEXT_BYTES, type ConflictChoiceSide } from '../contracts/index.js';
import type { ConflictChoice } from './merge/index.js';
import { validateId } from './validate-names.js';

export interface ResolveConflictParams {
  repoPath: string;
  sessionId: string;
  taskId: string;
  /** The report's `ours`: the integration candidate the task conflicted with. */
  ours: string;
  /** The report's `theirs`: the task branch head; STALE_CONFLICT when the branch moved since. */
  theirs: string;
  /**
   * One per conflict hunk (`hunk`: index into ConflictFile.hunks), or per whole file without hunks.
   * A hunk takes ours, theirs, both (ours then theirs) or manual `text`; a whole file ours or theirs.
   */
  resolutions: Array<{ path: string; hunk?: number; side: ConflictChoiceSide; text?: string }>;
  /** The `Agent:` trailer of the merge commit (default `person`). */
  resolvedBy?: string;
}

export interface ResolveConflictResult { commit: string; branch: string; files: string[] }

/** What crosses to the worker: the same fields, minus repoPath, in a normalised shape. */
export interface ResolveConflictArgs {
  sessionId: string; taskId: string; ours: string; theirs: string; resolutions: ConflictChoice[]; resolvedBy?: string;
}

const MAX_CHOICES = 10_000;
const SIDES: ReadonlySet<unknown> = new Set<ConflictChoiceSide>(['ours', 'theirs', 'both', 'manual']);
// A lone UTF-16 surrogate has no UTF-8 form: it would be written as U+FFFD, not as sent.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A hand-written hunk: a string of well-formed text, without NUL (git would call it binary), at most 1 MiB. */
function checkText(text: unknown, where: { index: number; path: string; hunk?: number }): void {
  const refuse = (reason: string, message: string, extra: object = {}): never => {
    throw new GitEngineError('RESOLUTION_TEXT_INVALID', `${where.path}${where.hunk === undefined ? '' : ` hunk ${where.hunk}`}: ${message}`, { ...where, reason, ...extra });
  };
  if (text === undefined) refuse('missing', 'side manual needs the text of the hunk');
  if (typeof text !== 'string') return refuse('type', 'text must be a string');
  if (text.includes('\0')) refuse('nul', 'text must not contain a NUL character');
  if (LONE_SURROGATE.test(text)) refuse('encoding', 'text must be valid Unicode (a lone surrogate has no UTF-8 form)');
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RESOLUTION_TEXT_BYTES) refuse('too_large', `text is ${bytes} bytes in UTF-8; at most ${MAX_RESOLUTION_TEXT_BYTES}`, { bytes, max: MAX_RESOLUTION_TEXT_BYTES });
}

export function validateResolveConflict(p: ResolveConflictParams): ResolveConflictArgs {
  validateId('sessionId', p.sessionId);
  validateId('taskId', p.taskId);
  for (const key of ['ours', 'theirs'] as const) {
    if (typeof p[key] !== 'string' || !OID_RE.test(p[key])) {
      throw new GitEngineError('INVALID_NAME', `${key} must be a 40-hex commit id`, { kind: key, value: String(p[key]).slice(0, 100) });
    }
  }
  if (p.resolvedBy !== undefined && (typeof p.resolvedBy !== 'string' || !/^[^\r\n\0]{1,200}$/.test(p.resolvedBy) || p.resolvedBy.trim() === '')) {
    throw new GitEngineError('INVALID_NAME', 'resolvedBy must be a single non-empty line');
  }
  if (!Array.isArray(p.resolutions) || p.resolutions.length > MAX_CHOICES) {
    throw new GitEngineError('INVALID_RESOLUTION', `resolutions must be an array of at most ${MAX_CHOICES} choices`, { reason: 'shape' });
  }
  const resolutions = p.resolutions.map((r, index): ConflictChoice => {
    const ok = r !== null && typeof r === 'object'
      && typeof r.path === 'string' && r.path.length > 0 && r.path.length <= 4096 && !r.path.includes('\0')
      && SIDES.has(r.side)
      && (r.hunk === undefined || (Number.isSafeInteger(r.hunk) && r.hunk >= 0));
    if (!ok) throw new GitEngineError('INVALID_RESOLUTION', 'each resolution needs a path, side ours|theirs|both|manual and an optional hunk index >= 0', { reason: 'shape', index });
    const where = { index, path: r.path, ...(r.hunk === undefined ? {} : { hunk: r.hunk }) };
    if (r.hunk === undefined && (r.side === 'both' || r.side === 'manual')) {
      throw new GitEngineError('RESOLUTION_SIDE_NOT_ALLOWED', `${r.path}: a choice without a hunk is for the whole file and takes ours or theirs, not ${r.side}`, { ...where, side: r.side });
    }
    if (r.side !== 'manual') {
      if (r.text !== undefined) throw new GitEngineError('RESOLUTION_TEXT_INVALID', `${r.path}: text is only for side manual`, { ...where, reason: 'unexpected' });
      return r.hunk === undefined ? { path: r.path, side: r.side } : { path: r.path, hunk: r.hunk, side: r.side };
    }
    checkText(r.text, where);
    return { path: r.path, hunk: r.hunk as number, side: 'manual', text: r.text as string };
  });
  return {
    sessionId: p.sessionId, taskId: p.taskId, ours: p.ours, theirs: p.theirs, resolutions,
    ...(p.resolvedBy === undefined ? {} : { resolvedBy: p.resolvedBy.trim() }),
  };
}
