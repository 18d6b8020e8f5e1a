import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of a delivery (docs/runbooks/webhooks.md tells receivers how to verify). */
export const SIGNATURE_HEADER = 'x-thalogos-signature';
export const TIMESTAMP_HEADER = 'x-thalogos-timestamp';
export const DELIVERY_HEADER = 'x-thalogos-delivery';
export const EVENT_HEADER = 'x-thalogos-event';

/** `v1=` + hex HMAC-SHA256 over `${timestamp}.${body}`; the timestamp (unix seconds) limits replays. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time, and refuse old timestamps. */
export function verify(secret: string, timestamp: number, body: string, signature: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
