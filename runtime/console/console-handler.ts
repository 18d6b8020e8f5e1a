import { access } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequestHandler, type ServerBuild } from 'react-router';
import type { FetchHandler } from '../http/fetch-handler.js';
import { readStaticFile } from './static-files.js';

export type ConsoleHandler = FetchHandler;

export interface ConsoleHandlerOptions {
  /** The React Router build directory (holding `server/index.js` and `client/`). */
  buildDir: string;
  /** Called when rendering fails unexpectedly (the client gets a plain 500). */
  onError?: (error: unknown) => void;
}

const MISSING_BUILD =
  'The Thalogos console is not built. Run `npm run build` in the Thalogos directory, then restart the server. ' +
  'The HTTP API under /api/ works without it.\n';

/**
 * Serves the console as a Fetch handler: hashed assets and other files of the client build
 * straight from disk, everything else through React Router's request handler. The API core calls
 * it for paths no API route claims; request bodies arrive already capped by the transport.
 */
export async function createConsoleHandler(options: ConsoleHandlerOptions): Promise<ConsoleHandler> {
  const serverEntry = path.join(options.buildDir, 'server', 'index.js');
  const clientDir = path.join(options.buildDir, 'client');
  const built = await access(serverEntry).then(() => true, () => false);
  if (!built) {
    return async () => new Response(MISSING_BUILD, { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } });
  }
  const build = (await import(pathToFileURL(serverEntry).href)) as ServerBuild;
  const handleRequest = createRequestHandler(build, 'production');
  return async (request) => {
    try {
      if (request.method === 'GET' || request.method === 'HEAD') {
        // The raw path (before URL normalisation) is what the static-file guard must judge.
        const file = await readStaticFile(clientDir, rawPath(request.url));
        if (file !== null) {
          return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), {
            status: 200,
            headers: {
              'content-type': file.contentType,
              'cache-control': file.cacheControl,
              'x-content-type-options': 'nosniff',
              'content-length': String(file.body.byteLength),
            },
          });
        }
      }
      return await handleRequest(request);
    } catch (error) {
      options.onError?.(error);
      return new Response('internal error\n', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
  };
}

function rawPath(url: string): string {
  return new URL(url).pathname;
}
