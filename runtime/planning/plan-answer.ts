// The planner's final answer -> a checked plan or a typed error. Models wrap JSON in prose or a
// fence now and then: the first fenced block, else the outermost braces, is what is parsed.
import { checkPlan, type PlanCheck } from '../../contracts/plan.js';

export function extractJson(answer: string): string | null {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/i.exec(answer);
  if (fenced?.[1] !== undefined) return fenced[1].trim();
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  return start >= 0 && end > start ? answer.slice(start, end + 1) : null;
}

export function parsePlanAnswer(answer: string | null): PlanCheck {
  if (answer === null || answer.trim() === '') {
    return { ok: false, error: { code: 'PLAN_MALFORMED', message: 'the planner gave no answer', data: {} } };
  }
  const json = extractJson(answer);
  if (json === null) return { ok: false, error: { code: 'PLAN_MALFORMED', message: 'the planner\'s answer holds no JSON object', data: {} } };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    return { ok: false, error: { code: 'PLAN_MALFORMED', message: `the planner's answer is not valid JSON: ${(error as Error).message}`, data: {} } };
  }
  return checkPlan(value);
}
