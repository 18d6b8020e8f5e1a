import { describe, expect, it } from 'vitest';
import { EventStream } from './event-stream.js';

describe('EventStream', () => {
  it('every reader sees every item from the start, including readers that start late or wait', async () => {
    const s = new EventStream<number>();
    s.push(1);
    const early = (async () => { const out: number[] = []; for await (const x of s) out.push(x); return out; })();
    await Promise.resolve();
    s.push(2);
    s.close();
    s.push(3); // ignored after close
    const late: number[] = [];
    for await (const x of s) late.push(x);
    expect(await early).toEqual([1, 2]);
    expect(late).toEqual([1, 2]);
  });
});
