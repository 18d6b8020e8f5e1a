import type { z } from 'zod';
import type { Principal } from '../auth/token-store.js';
import type { Role } from '../auth/roles.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestContext<Body = unknown> {
  method: HttpMethod;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Body;
  principal: Principal | null;
  requestId: string;
}

export interface Reply {
  status: number;
  body: unknown;
  /** Defaults to JSON; a string body with another content type is sent as-is. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route<Schema extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  /** Path with `:name` segments, e.g. `/api/sessions/:id/tasks`. */
  pattern: string;
  /** `public` routes answer without a token; every other route needs at least this role. */
  access: Role | 'public';
  body?: Schema;
  handle(ctx: RequestContext<z.infer<Schema>>): Promise<Reply> | Reply;
}

/** Helper that keeps the body type of a route tied to its schema. */
export function defineRoute<Schema extends z.ZodType>(route: Route<Schema>): Route {
  return route as unknown as Route;
}

export const json = (status: number, body: unknown): Reply => ({ status, body });
