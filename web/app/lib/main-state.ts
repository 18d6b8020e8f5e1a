import type { SessionView } from './api-types.js';

/** Where main stands after this session's newest Save or rollback that moved it. */
export type MainState =
  | { source: 'save'; commit: string; tag: string; at: string; by: string }
  | { source: 'rollback'; commit: string; checkpoint: string; at: string; by: string };

/**
 * Reads the session timeline from the newest entry back: a published Save moves main to its
 * checkpoint, a completed restore-commit rollback moves it to the restore commit (a branch
 * rollback leaves main where it is). null when nothing in this session moved main.
 */
export function mainState(view: SessionView): MainState | null {
  for (let index = view.timeline.length - 1; index >= 0; index -= 1) {
    const entry = view.timeline[index];
    if (!entry) continue;
    if (entry.kind === 'save' && entry.result.status === 'published') {
      const result = entry.result as { tag: string; commit: string };
      return { source: 'save', commit: result.commit, tag: result.tag, at: entry.completedAt, by: entry.requestedBy };
    }
    if (entry.kind === 'rollback' && entry.mode === 'restore_commit' && entry.result.status === 'completed' && typeof entry.result.commit === 'string') {
      return { source: 'rollback', commit: entry.result.commit, checkpoint: entry.checkpoint, at: entry.completedAt, by: entry.requestedBy };
    }
  }
  return null;
}
