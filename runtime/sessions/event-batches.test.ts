import { describe, expect, it } from 'vitest';
import { EventStream } from '../../adapters/event-stream.js';
import { inBatches } from './event-batches.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('inBatches', () => {
  it('writes everything in order, what arrived during a write as the next batch', async () => {
    const source = new EventStream<number>();
    const batches: number[][] = [];
    let release: (() => void) | null = null;
    const done = inBatches(source, async (batch) => {
      batches.push(batch);
      // The first write is slow: whatever arrives meanwhile must wait and go together.
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 100);
    source.push(1);
    source.push(2);
    await tick();
    await tick();
    for (let i = 3; i <= 10; i++) source.push(i);
    await tick();
    release!();
    source.close();
    await done;
    expect(batches).toEqual([[1, 2], [3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it('stops reading once maxBatch items wait, until the writer caught up', async () => {
    let pulled = 0;
    let written = 0;
    let mostAhead = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 50; i++) {
        pulled += 1;
        mostAhead = Math.max(mostAhead, pulled - written);
        yield i;
      }
    }
    const seen: number[] = [];
    await inBatches(source(), async (batch) => {
      await tick();
      seen.push(...batch);
      written += batch.length;
    }, 4);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Never more than one batch waiting plus the one being written.
    expect(mostAhead).toBeLessThanOrEqual(8);
  });

  it('writes an item that arrives after a quiet spell without waiting for the source to end', async () => {
    const source = new EventStream<string>();
    const seen: string[] = [];
    const done = inBatches(source, async (batch) => void seen.push(...batch), 10);
    source.push('a');
    await tick();
    await tick();
    expect(seen).toEqual(['a']);
    source.push('b');
    await tick();
    await tick();
    expect(seen).toEqual(['a', 'b']);
    source.close();
    await done;
  });

  it('reports a failed write once the source ended, after trying the rest', async () => {
    const source = new EventStream<number>();
    const seen: number[] = [];
    const done = inBatches(source, async (batch) => {
      if (batch.includes(1)) throw new Error('disk full');
      seen.push(...batch);
    }, 10);
    source.push(1);
    await tick();
    await tick();
    source.push(2);
    source.close();
    await expect(done).rejects.toThrow('disk full');
    expect(seen).toEqual([2]);
  });
});
