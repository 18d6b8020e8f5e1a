import { describe, expect, it } from 'vitest';
import { createRedactor, redactSecrets, secretsFromEnv } from './redact.js';

describe('redaction', () => {
  const env = { OPENAI_API_KEY: 'sk-proj-abcdefghijklmnop', GH_TOKEN: 'ghtoken-123456', DB_PASSWORD: 'hunter2hunter2', SHORT_KEY: 'abc', HOME: '/home/someone-long' };

  it('takes values of KEY/TOKEN/SECRET/PASSWORD variables of 8+ characters', () => {
    expect(secretsFromEnv(env).sort()).toEqual(['ghtoken-123456', 'hunter2hunter2', 'sk-proj-abcdefghijklmnop'].sort());
  });

  it('redacts them, and well-known key shapes, from text', () => {
    const text = 'key sk-proj-abcdefghijklmnop, token ghtoken-123456, pw hunter2hunter2, home /home/someone-long, abc, other sk-ant-api03-ZZZZZZZZZZZZZZZZZZZZ';
    expect(redactSecrets(text, env)).toBe('key [REDACTED], token [REDACTED], pw [REDACTED], home /home/someone-long, abc, other [REDACTED]');
  });

  it('redacts objects deeply (strings and keys), leaving other values and the input untouched', () => {
    const r = createRedactor({ env, extra: ['configured-secret-1', 'x'] });
    const input = { a: ['configured-secret-1', 3, null], b: { 'hunter2hunter2': true, nested: { s: 'x hunter2hunter2 y' } }, err: new Error('bad ghtoken-123456') };
    const out = r.value(input);
    expect(out).toEqual({ a: ['[REDACTED]', 3, null], b: { '[REDACTED]': true, nested: { s: 'x [REDACTED] y' } }, err: { name: 'Error', message: 'bad [REDACTED]' } });
    expect(input.a[0]).toBe('configured-secret-1');
    // Values shorter than 8 characters are never treated as secrets (they would shred ordinary text).
    expect(r.text('x marks')).toBe('x marks');
  });

  it('replaces a longer secret whole even when it contains a shorter one', () => {
    const r = createRedactor({ env: { A_KEY: 'abcdefgh', B_KEY: 'abcdefgh-ijkl' } });
    expect(r.text('v=abcdefgh-ijkl')).toBe('v=[REDACTED]');
  });
});
