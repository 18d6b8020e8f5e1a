// The one place where the HTTP API and the console meet uWebSockets.js: each request is copied out
// of uWS (its request object dies when the callback returns), its body collected with a hard cap,
// handed to a Fetch handler, and the Response written back with backpressure handled.
import type { HttpRequest, TemplatedApp } from 'uWebSockets.js';
import { ApiError } from '../../errors.js';
import { CLOSE_CONNECTION_HEADER, type FetchHandler } from '../fetch-handler.js';
import { toFetchRequest, writeFetchResponse, type UwsRequestInfo } from './fetch-bridge.js';
import { readBody } from './read-body.js';

const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD']);

export interface MountFetchOptions {
  maxBodyBytes: number;
  /** Called when the handler itself throws (it should answer errors as responses instead). */
  onError?: (error: unknown) => void;
}

export function mountFetch(app: TemplatedApp, handler: FetchHandler, options: MountFetchOptions): void {
  app.any('/*', (res, req) => {
    const info: UwsRequestInfo = { method: req.getMethod().toUpperCase(), url: req.getUrl(), query: req.getQuery() ?? '', headers: readHeaders(req) };
    let aborted = false;
    let ended = false;
    res.onAborted(() => {
      aborted = true;
    });
    const isAborted = () => aborted || ended;
    // onData must be attached before this callback returns, or the body is lost.
    const body = METHODS_WITHOUT_BODY.has(info.method) ? Promise.resolve(null) : readBody(res, options.maxBodyBytes, declaredLength(info.headers['content-length']));
    body.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    void (async () => {
      let response: Response;
      try {
        response = await handler(toFetchRequest(info, await body));
      } catch (error) {
        if (!(error instanceof ApiError)) options.onError?.(error);
        const apiError = error instanceof ApiError ? error : new ApiError('INTERNAL', 'internal error');
        response = new Response(JSON.stringify(apiError.toJSON()), {
          status: apiError.status,
          headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...(apiError.code === 'PAYLOAD_TOO_LARGE' ? { [CLOSE_CONNECTION_HEADER]: 'close' } : {}) },
        });
      }
      const closeConnection = response.headers.get(CLOSE_CONNECTION_HEADER) === 'close';
      await writeFetchResponse(res, response, { isAborted, headOnly: info.method === 'HEAD', closeConnection, onEnd: () => (ended = true) }).catch((error: unknown) => {
        options.onError?.(error);
        if (isAborted()) return;
        ended = true;
        res.cork(() => res.writeStatus('500 Internal Server Error').end('internal error\n', true));
      });
    })();
  });
}

function readHeaders(req: HttpRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  req.forEach((key, value) => {
    headers[key.toLowerCase()] = value;
  });
  return headers;
}

function declaredLength(value: string | undefined): number | null {
  if (value === undefined) return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}
