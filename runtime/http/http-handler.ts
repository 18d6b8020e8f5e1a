// The HTTP API on a uWS app: the Fetch-shaped core (api-core.ts) behind the uWS adapter.
import type { TemplatedApp } from 'uWebSockets.js';
import { createApiCore, MAX_BODY_BYTES, type ApiCoreDeps } from './api-core.js';
import type { FetchHandler } from './fetch-handler.js';
import { mountFetch } from './uws/mount-fetch.js';

export { formatIssues, MAX_BODY_BYTES } from './api-core.js';
export type HttpHandlerDeps = ApiCoreDeps & {
  /** Cluster mode wraps the API (routing session requests to their owner). */
  wrap?: (handler: FetchHandler) => FetchHandler;
};

export function mountHttp(app: TemplatedApp, deps: HttpHandlerDeps): void {
  const core = createApiCore(deps);
  mountFetch(app, deps.wrap ? deps.wrap(core) : core, {
    maxBodyBytes: deps.maxBodyBytes ?? MAX_BODY_BYTES,
    onError: (error) => deps.logger.error({ err: error }, 'request failed in the HTTP adapter'),
  });
}
