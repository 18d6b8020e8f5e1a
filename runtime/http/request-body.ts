import { ApiError } from '../errors.js';

/**
 * Reads a Fetch request's body with a hard cap: a declared length over the cap is refused before
 * reading, a streamed one as soon as it passes the cap (the rest is never buffered).
 */
export async function readRequestBody(request: Request, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new ApiError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { maxBytes });
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
