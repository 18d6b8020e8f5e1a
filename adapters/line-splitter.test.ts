import { describe, expect, it } from 'vitest';
import { LineSplitter, TailBuffer } from './line-splitter.js';

function split(chunks: Array<Buffer | string>, max?: number): Array<[string, boolean]> {
  const out: Array<[string, boolean]> = [];
  const s = new LineSplitter((l, o) => out.push([l, o]), max);
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe('LineSplitter', () => {
  it('splits across chunks, handles CRLF, skips blank lines and keeps a final unterminated line', () => {
    expect(split(['{"a":', '1}\r\n\n{"b"', ':2}\nlast'])).toEqual([['{"a":1}', false], ['{"b":2}', false], ['last', false]]);
  });

  it('decodes a multi-byte character split between chunks', () => {
    const bytes = Buffer.from('é\n', 'utf8');
    expect(split([bytes.subarray(0, 1), bytes.subarray(1)])).toEqual([['é', false]]);
  });

  it('delivers a runaway line in flagged pieces instead of growing without bound', () => {
    expect(split(['abcdefghij', 'kl\nok\n'], 4)).toEqual([['abcd', true], ['efgh', true], ['ijkl', false], ['ok', false]]);
  });
});

describe('TailBuffer', () => {
  it('keeps the last characters only', () => {
    const t = new TailBuffer(5);
    for (const c of ['hello ', 'wor', 'ld!']) t.push(c);
    expect(t.value()).toBe('orld!');
  });
});
