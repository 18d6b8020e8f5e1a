import { describe, expect, it } from 'vitest';
import { buildPrompt } from './prompt.js';

describe('buildPrompt', () => {
  it('is just the task when nothing else is given', () => {
    expect(buildPrompt({ task: '  Fix the bug.  ' })).toBe('Fix the bug.\n');
  });

  it('adds shared memory, acceptance notes and a handoff with the diff', () => {
    const p = buildPrompt({ task: 'Add a footer.', sharedMemory: 'Use British spelling.', acceptanceNotes: 'npm test passes.',
      handoff: { fromAgent: 'codex', finalMessage: 'I ran out of time.', diff: '+footer\n', reason: 'timed out' } });
    expect(p.indexOf('Add a footer.')).toBe(0);
    expect(p).toContain('## Shared memory');
    expect(p).toContain('Use British spelling.');
    expect(p).toContain('## Acceptance notes');
    expect(p).toContain('Agent `codex` stopped (timed out)');
    expect(p).toContain('I ran out of time.');
    expect(p).toContain('```diff\n+footer\n```');
  });

  it('truncates a huge handoff diff and says so; says when there was none', () => {
    const big = buildPrompt({ task: 't', handoff: { fromAgent: 'claude', finalMessage: null, diff: 'x'.repeat(100_000), reason: 'failed' } });
    expect(big.length).toBeLessThan(70_000);
    expect(big).toContain('[diff truncated: 40000 more characters]');
    expect(buildPrompt({ task: 't', handoff: { fromAgent: 'claude', finalMessage: null, diff: null, reason: 'failed' } })).toContain('left no changes');
  });
});
