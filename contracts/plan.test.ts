import { describe, expect, it } from 'vitest';
import { checkPlan, planEdits, planTaskPrompt, type Plan } from './plan.js';

const task = (id: string, dependsOn: string[] = []) => ({ id, title: `T ${id}`, prompt: `do ${id}`, dependsOn });

describe('checkPlan', () => {
  it('accepts a DAG and fills the defaults', () => {
    const r = checkPlan({ tasks: [task('a'), task('b', ['a']), task('c', ['a', 'b'])] });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.plan.tasks[0]).toEqual({ id: 'a', title: 'T a', prompt: 'do a', acceptance: '', dependsOn: [], agent: null });
  });
  it.each([
    ['no tasks', { tasks: [] }, 'PLAN_MALFORMED'],
    ['not an object', 'tasks', 'PLAN_MALFORMED'],
    ['a task without a prompt', { tasks: [{ id: 'a', title: 'x' }] }, 'PLAN_MALFORMED'],
    ['a bad id', { tasks: [task('a b')] }, 'PLAN_MALFORMED'],
    ['a duplicate id', { tasks: [task('a'), task('a')] }, 'PLAN_DUPLICATE_TASK'],
    ['an unknown dependency', { tasks: [task('a', ['z'])] }, 'PLAN_UNKNOWN_DEPENDENCY'],
    ['a self dependency', { tasks: [task('a', ['a'])] }, 'PLAN_UNKNOWN_DEPENDENCY'],
    ['a cycle', { tasks: [task('a', ['c']), task('b', ['a']), task('c', ['b']), task('d')] }, 'PLAN_CYCLE'],
  ])('refuses %s', (_what, value, code) => {
    const r = checkPlan(value);
    expect(r.ok ? null : r.error.code).toBe(code);
  });
  it('names the cycle', () => {
    const r = checkPlan({ tasks: [task('a', ['b']), task('b', ['a'])] });
    expect(r.ok ? null : r.error.data['cycle']).toEqual(['a', 'b', 'a']);
  });
});

describe('planEdits', () => {
  const before = checkPlan({ tasks: [task('a'), task('b', ['a']), task('c')] });
  it('lists added, removed and changed tasks and a new order', () => {
    if (!before.ok) throw new Error('fixture');
    const after: Plan = { summary: '', tasks: [{ ...before.plan.tasks[2]!, title: 'C!' }, before.plan.tasks[0]!, { ...task('d'), acceptance: '', agent: null }] };
    expect(planEdits(before.plan, after)).toEqual({ added: ['d'], removed: ['b'], changed: ['c'], reordered: true });
    expect(planEdits(before.plan, before.plan)).toEqual({ added: [], removed: [], changed: [], reordered: false });
  });
});

it('a planned task\'s prompt carries its title and acceptance notes', () => {
  expect(planTaskPrompt({ title: 'T', prompt: 'P', acceptance: 'A' })).toBe('T\n\nP\n\nAcceptance: A');
  expect(planTaskPrompt({ title: 'T', prompt: 'P', acceptance: ' ' })).toBe('T\n\nP');
});
