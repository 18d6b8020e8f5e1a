/** First retry waits this long; each further retry doubles it. */
export const RETRY_BASE_MS = 1_000;
/** No retry waits longer than this, however many came before. */
export const RETRY_CAP_MS = 30_000;

/**
 * Delay before retry number `retry` (1 for the first retry): 1s, 2s, 4s, ... capped at 30s.
 * Pure, so the machines can compute it during replay without a clock.
 */
export function retryDelayMs(retry: number): number {
  if (!Number.isInteger(retry) || retry < 1) {
    throw new RangeError(`retry must be a positive integer, got ${retry}`);
  }
  // 2 ** 15 * 1s already exceeds the cap; clamping the exponent keeps the arithmetic exact.
  const exponent = Math.min(retry - 1, 15);
  return Math.min(RETRY_BASE_MS * 2 ** exponent, RETRY_CAP_MS);
}
