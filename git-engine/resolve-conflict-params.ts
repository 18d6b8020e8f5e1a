// The public parameters of GitEngine.resolveConflict, validated on the main thread before any
// repository work (ids, commit ids, the shape of every choice, the resolver's name).
import { GitEngineError } from './errors.js';
import { OID_RE } from './object-hash.js';
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
  /** One per conflict hunk (`hunk`: index into ConflictFile.hunks), or per whole file without hunks. */
  resolutions: Array<{ path: string; hunk?: number; side: 'ours' | 'theirs' }>;
  /** The `Agent:` trailer of the merge commit (default `person`). */
  resolvedBy?: string;
}

export interface ResolveConflictResult { commit: string; branch: string; files: string[] }

/** What crosses to the worker: the same fields, minus repoPath, in a normalised shape. */
export interface ResolveConflictArgs {
  sessionId: string; taskId: string; ours: string; theirs: string; resolutions: ConflictChoice[]; resolvedBy?: string;
}

const MAX_CHOICES = 10_000;

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
      && (r.side === 'ours' || r.side === 'theirs')
      && (r.hunk === undefined || (Number.isSafeInteger(r.hunk) && r.hunk >= 0));
    if (!ok) throw new GitEngineError('INVALID_RESOLUTION', 'each resolution needs a path, side ours|theirs and an optional hunk index >= 0', { reason: 'shape', index });
    return r.hunk === undefined ? { path: r.path, side: r.side } : { path: r.path, hunk: r.hunk, side: r.side };
  });
  return {
    sessionId: p.sessionId, taskId: p.taskId, ours: p.ours, theirs: p.theirs, resolutions,
    ...(p.resolvedBy === undefined ? {} : { resolvedBy: p.resolvedBy.trim() }),
  };
}
