export interface Handoff {
  fromAgent: string;
  finalMessage: string | null;
  diff: string | null;
  reason: string;
}

export interface PromptParts {
  task: string;
  sharedMemory?: string;
  acceptanceNotes?: string;
  handoff?: Handoff | null;
}

/** A fallback agent needs the gist of the diff, not megabytes of it. */
const MAX_DIFF = 60_000;

/** The prompt every adapter receives: the task, the session's shared memory, acceptance notes, and a handoff. */
export function buildPrompt(p: PromptParts): string {
  const parts = [p.task.trim()];
  if (p.sharedMemory?.trim()) parts.push(`## Shared memory (notes from the people in this session)\n\n${p.sharedMemory.trim()}`);
  if (p.acceptanceNotes?.trim()) parts.push(`## Acceptance notes (the work is done when)\n\n${p.acceptanceNotes.trim()}`);
  const h = p.handoff;
  if (h) {
    const lines = [`## Handoff from a previous attempt\n\nAgent \`${h.fromAgent}\` stopped (${h.reason}). Continue from what it left in this worktree.`];
    if (h.finalMessage?.trim()) lines.push(`Its last message:\n\n${h.finalMessage.trim()}`);
    if (h.diff?.trim()) {
      const diff = h.diff.length > MAX_DIFF ? `${h.diff.slice(0, MAX_DIFF)}\n[diff truncated: ${h.diff.length - MAX_DIFF} more characters]` : h.diff;
      lines.push(`The changes it left (already in the worktree):\n\n\`\`\`diff\n${diff.trimEnd()}\n\`\`\``);
    } else {
      lines.push('It left no changes in the worktree.');
    }
    parts.push(lines.join('\n\n'));
  }
  return `${parts.join('\n\n')}\n`;
}
