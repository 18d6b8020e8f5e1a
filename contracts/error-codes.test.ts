import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './error-codes.js';

const API_DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/api.md');

describe('the error-code registry', () => {
  it('is documented code by code, with its status, in docs/api.md', () => {
    const doc = readFileSync(API_DOC, 'utf8');
    const section = doc.slice(doc.indexOf('## Error codes'));
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const row = rows.find((line) => line.split('|')[1]?.includes(`\`${code}\``));
      expect(row, `${code} has a row in docs/api.md`).toBeDefined();
      expect(row?.split('|')[2]?.trim(), `${code}'s status`).toBe(String(info.status));
      expect(row?.split('|')[3]?.trim(), `${code}'s retryable`).toBe(info.retryable ? 'yes' : 'no');
    }
  });
});
