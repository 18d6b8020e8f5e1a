import { access } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequestHandler, type ServerBuild } from 'react-router';
import type { HttpResponse } from 'uWebSockets.js';
import type { FallbackRequest } from '../http/http-handler.js';
import { readBody } from '../http/read-body.js';
import { statusText, toFetchRequest, writeFetchResponse } from './fetch-bridge.js';
import { readStaticFile } from './static-files.js';

export type ConsoleHandler = (req: FallbackRequest, res: HttpResponse, isAborted: () => boolean) => void;

export interface ConsoleHandlerOptions {
  /** The React Router build directory (holding `server/index.js` and `client/`). */
  buildDir: string;
  /** Largest request body a page action may receive. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Called when rendering fails unexpectedly (the client gets a plain 500). */
  onError?: (error: unknown) => void;
}

const MISSING_BUILD =
  'The Thalogos console is not built. Run `npm run build` in the Thalogos directory, then restart the server. ' +
  'The HTTP API under /api/ works without it.\n';

/**
 * Serves the console from the runtime's own uWS app: hashed assets and other files of the client
 * build straight from disk, everything else through React Router's request handler.
 * Matches `HttpHandlerDeps.fallback`: called only for paths no API route claims.
 */
export async function createConsoleHandler(options: ConsoleHandlerOptions): Promise<ConsoleHandler> {
  const serverEntry = path.join(options.buildDir, 'server', 'index.js');
  const clientDir = path.join(options.buildDir, 'client');
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const built = await access(serverEntry).then(() => true, () => false);
  if (!built) {
    return (_req, res, isAborted) => {
      if (isAborted()) return;
      res.cork(() => {
        res.writeStatus('503 Service Unavailable').writeHeader('content-type', 'text/plain; charset=utf-8');
        res.writeHeader('cache-control', 'no-store');
        res.end(MISSING_BUILD);
      });
    };
  }
  const build = (await import(pathToFileURL(serverEntry).href)) as ServerBuild;
  const handleRequest = createRequestHandler(build, 'production');

  const fail = (res: HttpResponse, isAborted: () => boolean, error: unknown, ended: () => boolean) => {
    options.onError?.(error);
    if (isAborted() || ended()) return;
    const status = (error as { status?: number }).status === 413 ? 413 : 500;
    res.cork(() => {
      res.writeStatus(`${status} ${statusText(status)}`).writeHeader('content-type', 'text/plain; charset=utf-8');
      res.end(status === 413 ? 'request body too large\n' : 'internal error\n', status === 413);
    });
  };

  return (req, res, isAborted) => {
    let ended = false;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    // onData must be attached before this uWS callback returns, or the body is lost.
    const body = hasBody ? readBody(res, maxBodyBytes, declaredLength(req.headers['content-length'])) : Promise.resolve(null);
    body.catch(() => undefined); // awaited below; avoid an unhandled rejection in the meantime
    void (async () => {
      try {
        if (req.method === 'GET' || req.method === 'HEAD') {
          const file = await readStaticFile(clientDir, req.url);
          if (file !== null) {
            if (isAborted()) return;
            res.cork(() => {
              res.writeStatus('200 OK').writeHeader('content-type', file.contentType).writeHeader('cache-control', file.cacheControl);
              res.writeHeader('x-content-type-options', 'nosniff');
              if (req.method === 'HEAD') res.endWithoutBody(file.body.byteLength);
              else res.end(file.body);
            });
            ended = true;
            return;
          }
        }
        const request = toFetchRequest(req, await body);
        const response = await handleRequest(request);
        await writeFetchResponse(res, response, { isAborted, headOnly: req.method === 'HEAD', onEnd: () => (ended = true) });
      } catch (error) {
        fail(res, isAborted, error, () => ended);
      }
    })();
  };
}

function declaredLength(value: string | undefined): number | null {
  if (value === undefined) return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}
