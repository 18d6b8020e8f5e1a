// The HTTP API on a uWS app: the Fetch-shaped core (api-core.ts) behind the uWS adapter.
import type { TemplatedApp } from 'uWebSockets.js';
import { createApiCore, MAX_BODY_BYTES, type ApiCoreDeps } from './api-core.js';
import { mountFetch } from './uws/mount-fetch.js';

export { formatIssues, MAX_BODY_BYTES } from './api-core.js';
export type HttpHandlerDeps = ApiCoreDeps;

export function mountHttp(app: TemplatedApp, deps: HttpHandlerDeps): void {
  mountFetch(app, createApiCore(deps), {
    maxBodyBytes: deps.maxBodyBytes ?? MAX_BODY_BYTES,
    onError: (error) => deps.logger.error({ err: error }, 'request failed in the HTTP adapter'),
  });
}
