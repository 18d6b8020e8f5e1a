import type { HttpResponse } from 'uWebSockets.js';

/** What a uWS handler copies out of its (short-lived) request before going async. */
export interface UwsRequestInfo {
  method: string;
  url: string;
  query: string;
  headers: Record<string, string>;
}

/** Headers uWS writes itself (framing) or that must not be forwarded hop to hop. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'set-cookie']);
const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD']);

/** Builds a Fetch `Request` from what the uWS handler copied out of its (short-lived) request. */
export function toFetchRequest(req: UwsRequestInfo, body: Buffer | null, signal?: AbortSignal): Request {
  const host = req.headers.host ?? 'localhost';
  const url = new URL(`http://${host}${req.url}${req.query ? `?${req.query}` : ''}`);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) headers.append(name, value);
  const init: RequestInit = { method: req.method, headers };
  if (signal) init.signal = signal;
  if (!METHODS_WITHOUT_BODY.has(req.method) && body !== null) init.body = new Uint8Array(body);
  return new Request(url, init);
}

export interface WriteOptions {
  isAborted: () => boolean;
  /** Marks the response as finished, so nobody touches `res` again. */
  onEnd?: () => void;
  /** HEAD answers carry headers only. */
  headOnly?: boolean;
  /** Close the connection after the response (e.g. a request body was refused midway). */
  closeConnection?: boolean;
}

/**
 * Writes a Fetch `Response` to a uWS response: status, headers (every set-cookie separately),
 * then the body streamed chunk by chunk. When uWS reports backpressure (`write` returns false)
 * the next chunk waits for `onWritable`. Nothing touches `res` once the client went away or
 * the response ended; every write happens inside `cork`.
 */
export async function writeFetchResponse(res: HttpResponse, response: Response, options: WriteOptions): Promise<void> {
  const { isAborted } = options;
  const writeHead = () => {
    res.writeStatus(`${response.status} ${response.statusText || statusText(response.status)}`);
    response.headers.forEach((value, name) => {
      if (!FRAMING_HEADERS.has(name)) res.writeHeader(name, value);
    });
    for (const cookie of response.headers.getSetCookie()) res.writeHeader('set-cookie', cookie);
  };
  if (response.body === null || options.headOnly) {
    await response.body?.cancel().catch(() => undefined);
    if (isAborted()) return;
    res.cork(() => {
      writeHead();
      // A HEAD answer reports the length the GET would have (uWS writes that header itself).
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (options.headOnly) res.endWithoutBody(Number.isFinite(declared) ? declared : undefined, options.closeConnection ?? false);
      else res.end(undefined, options.closeConnection ?? false);
    });
    options.onEnd?.();
    return;
  }
  if (options.closeConnection) {
    // uWS adds its `Connection: close` when ending, which cannot follow a chunked body: such
    // answers (refusals of an oversized upload) are small, so they are sent in one piece.
    const whole = new Uint8Array(await response.arrayBuffer());
    if (isAborted()) return;
    res.cork(() => {
      writeHead();
      res.end(whole, true);
    });
    options.onEnd?.();
    return;
  }
  const reader = response.body.getReader();
  let headWritten = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (isAborted()) {
        await reader.cancel().catch(() => undefined);
        return;
      }
      if (done) {
        res.cork(() => {
          if (!headWritten) writeHead();
          res.end(undefined, options.closeConnection ?? false);
        });
        options.onEnd?.();
        return;
      }
      if (value.byteLength === 0) continue;
      let ok = true;
      res.cork(() => {
        if (!headWritten) writeHead();
        headWritten = true;
        ok = res.write(value);
      });
      // uWS buffered the chunk; wait for the socket to drain before producing more.
      if (!ok && !(await drained(res, isAborted))) {
        await reader.cancel().catch(() => undefined);
        return;
      }
    }
  } catch (error) {
    if (isAborted()) return;
    // The body failed midway: the status is already on the wire, so all we can do is cut it off.
    if (headWritten) {
      res.close();
      options.onEnd?.();
      return;
    }
    throw error;
  }
}

/**
 * Resolves true once uWS can take more data, false if the client went away first. The handler
 * that owns `onAborted` is not ours, so abort is noticed by polling `isAborted`.
 */
function drained(res: HttpResponse, isAborted: () => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const poll = setInterval(() => {
      if (isAborted() && !settled) {
        settled = true;
        clearInterval(poll);
        resolve(false);
      }
    }, 250);
    res.onWritable(() => {
      if (!settled) {
        settled = true;
        clearInterval(poll);
        // Continue on a fresh macrotask, not inside uWS's native callback: promise jobs queued
        // from there are not reliably drained, which stalls the stream (seen with this build).
        setImmediate(() => resolve(true));
      }
      return true;
    });
  });
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? 'Status';
}
