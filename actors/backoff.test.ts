import { describe, expect, it } from 'vitest';
import { RETRY_CAP_MS, retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  it('doubles from one second', () => {
    expect([1, 2, 3, 4, 5].map(retryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('caps at thirty seconds, however many retries came before', () => {
    expect(retryDelayMs(6)).toBe(RETRY_CAP_MS);
    expect(retryDelayMs(1_000)).toBe(30_000);
  });

  it('refuses a retry number that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => retryDelayMs(bad)).toThrow(RangeError);
  });
});
