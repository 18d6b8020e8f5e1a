import type { z } from 'zod';
import { ApiError } from '../errors.js';
import { formatIssues } from '../http/http-handler.js';

export function parseQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.infer<S> {
  const parsed = schema.safeParse(Object.fromEntries(query));
  if (!parsed.success) throw new ApiError('VALIDATION_FAILED', 'query parameters are invalid', { issues: formatIssues(parsed.error) });
  return parsed.data;
}
