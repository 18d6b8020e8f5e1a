import { describe, expect, it } from 'vitest';
import { backoffMs } from './outbox.js';
import { sign, verify } from './signature.js';
import { SecretRefSchema } from '../secrets/secret-ref.js';

const settings = { timeoutMs: 1000, maxAttempts: 8, backoffBaseMs: 1000, backoffMaxMs: 10_000 };

describe('webhook delivery pieces', () => {
  it('backs off exponentially, capped, with jitter between half and all of the step', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, settings, () => 1))).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect([1, 2, 3].map((n) => backoffMs(n, settings, () => 0))).toEqual([500, 1000, 2000]);
    for (let i = 0; i < 100; i += 1) {
      const wait = backoffMs(3, settings);
      expect(wait).toBeGreaterThanOrEqual(2000);
      expect(wait).toBeLessThanOrEqual(4000);
    }
  });

  it('signs timestamp.body; verification refuses another body, timestamp, secret or a stale timestamp', () => {
    const body = '{"a":1}';
    const signature = sign('s3cret', 1_700_000_000, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verify('s3cret', 1_700_000_000, body, signature, 1_700_000_010)).toBe(true);
    expect(verify('s3cret', 1_700_000_000, '{"a":2}', signature, 1_700_000_010)).toBe(false);
    expect(verify('s3cret', 1_700_000_001, body, signature, 1_700_000_010)).toBe(false);
    expect(verify('other', 1_700_000_000, body, signature, 1_700_000_010)).toBe(false);
    expect(verify('s3cret', 1_700_000_000, body, signature, 1_700_001_000)).toBe(false);
  });

  it('accepts a secret reference by env name, absolute file or argv, nothing else', () => {
    expect(SecretRefSchema.safeParse({ env: 'PD_KEY' }).success).toBe(true);
    expect(SecretRefSchema.safeParse({ file: '/run/secrets/pd' }).success).toBe(true);
    expect(SecretRefSchema.safeParse({ secretCommand: ['vault', 'read', 'x'] }).success).toBe(true);
    for (const bad of [{ env: 'not a name' }, { file: 'relative/path' }, { secretCommand: [] }, { value: 'inline-secret' }, { env: 'A', file: '/x' }]) {
      expect(SecretRefSchema.safeParse(bad).success).toBe(false);
    }
  });
});
