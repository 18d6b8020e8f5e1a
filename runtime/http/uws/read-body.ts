import type { HttpResponse } from 'uWebSockets.js';
import { ApiError } from '../../errors.js';

/**
 * Collects a request body from uWS with a hard cap. uWS hands out chunks that are only valid
 * during the callback, so each one is copied. Exceeding the cap rejects early; the caller answers
 * 413 and closes, so an oversized upload is never buffered whole.
 */
export function readBody(res: HttpResponse, maxBytes: number, declaredLength: number | null): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (declaredLength !== null && declaredLength > maxBytes) {
      reject(new ApiError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { maxBytes }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        failed = true;
        reject(new ApiError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { maxBytes }));
        return;
      }
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast) resolve(Buffer.concat(chunks, size));
    });
  });
}
