import { ApiError } from '../errors.js';
import type { FetchHandler } from './fetch-handler.js';

/** Answer before the sessions are back: they need neither (the agent list shows `checking`). */
const ANSWERS_WHILE_RESTORING = new Set(['/healthz', '/api/agents', '/api/me']);

/**
 * The server listens before its sessions are restored. Until then a request that may read or
 * change a session (the API, /metrics) waits for the restore instead of finding nothing; the
 * console's pages and /healthz answer at once. A restore that failed is answered 500 INTERNAL
 * (the cause is in the server's log).
 */
export function untilRestored(handle: FetchHandler, restored: Promise<unknown>, isRestored: () => boolean): FetchHandler {
  return async (request) => {
    if (isRestored()) return handle(request);
    const { pathname } = new URL(request.url);
    const needsSessions = (pathname.startsWith('/api/') || pathname === '/metrics') && !ANSWERS_WHILE_RESTORING.has(pathname);
    if (needsSessions) {
      const failure = await restored;
      if (failure) throw new ApiError('INTERNAL', 'the runtime could not restore its sessions; see its log');
    }
    return handle(request);
  };
}
