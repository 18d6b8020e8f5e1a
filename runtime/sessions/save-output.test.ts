import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../tests/helpers/manual-clock.js';
import { SaveOutputStreams, type SaveOutputEvent } from './save-output.js';

describe('SaveOutputStreams', () => {
  it('gathers a burst of chunks into one event per stream run, in order, once per window', () => {
    const clock = new ManualClock();
    const sent: Array<[string, string, string, SaveOutputEvent]> = [];
    const streams = new SaveOutputStreams((...args) => sent.push(args), clock);
    for (let i = 0; i < 1000; i++) streams.write('s1', 'v1', 'gate-0', 'stdout', `line ${i}\n`);
    streams.write('s1', 'v1', 'gate-0', 'stderr', 'oops\n');
    streams.write('s1', 'v1', 'gate-0', 'stdout', 'after');
    expect(sent).toHaveLength(0);
    clock.advance(100);
    const texts = sent.map(([, , , event]) => `${event.stream}:${event.text.length}`);
    // 1000 lines of stdout (8890 characters) in two events of at most 8 KiB, then stderr, then stdout.
    expect(texts).toEqual(['stdout:8192', 'stdout:698', 'stderr:5', 'stdout:5']);
    expect(sent.map(([, , , event]) => event.seq)).toEqual([1, 2, 3, 4]);
    expect(sent[0]!.slice(0, 3)).toEqual(['s1', 'save.v1', 'save.v1.gate-0']);
    expect(sent.map(([, , , event]) => event.text).join('')).toBe(`${Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join('')}oops\nafter`);
  });

  it('sends what is left when the Save ends, and numbers a later Save from 1 again', () => {
    const clock = new ManualClock();
    const sent: SaveOutputEvent[] = [];
    const streams = new SaveOutputStreams((_s, _t, _r, event) => sent.push(event), clock);
    streams.write('s1', 'v1', 'gate-0', 'stdout', 'partial');
    streams.flush({ sessionId: 's1', saveId: 'v1' });
    expect(sent.map((e) => [e.seq, e.text])).toEqual([[1, 'partial']]);
    expect(clock.pending).toBe(0);
    streams.write('s1', 'v2', 'gate-0', 'stdout', 'next Save');
    clock.advance(100);
    expect(sent.map((e) => [e.seq, e.text])).toEqual([[1, 'partial'], [1, 'next Save']]);
  });
});
