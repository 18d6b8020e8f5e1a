import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import * as decoding from 'lib0/decoding';
import { AwarenessCoalescer } from './awareness-coalescer.js';
import { awarenessFrame, readFrameHeader } from './message-frame.js';

describe('AwarenessCoalescer', () => {
  it('merges many awareness frames into one per document, newest state per client wins', () => {
    const a = new Awareness(new Y.Doc());
    const b = new Awareness(new Y.Doc());
    const coalescer = new AwarenessCoalescer();
    const frame = (aw: Awareness) => awarenessFrame('session/s1/shared', encodeAwarenessUpdate(aw, [aw.clientID]));
    a.setLocalState({ user: 'ada', looking: 'task 1' });
    coalescer.add(frame(a));
    a.setLocalState({ user: 'ada', looking: 'task 2' });
    coalescer.add(frame(a));
    b.setLocalState({ user: 'vic' });
    coalescer.add(frame(b));
    removeAwarenessStates(b, [b.clientID], null);
    coalescer.add(frame(b));
    expect(coalescer.add(new Uint8Array([1, 65, 0, 0, 0]))).toBe(false); // a sync frame is not coalesced

    const frames = coalescer.drain();
    expect(frames).toHaveLength(1);
    expect(coalescer.size).toBe(0);
    const header = readFrameHeader(frames[0]!);
    expect(header.documentName).toBe('session/s1/shared');
    const receiver = new Awareness(new Y.Doc());
    applyAwarenessUpdate(receiver, decoding.readVarUint8Array(header.decoder), null);
    expect(receiver.getStates().get(a.clientID)).toEqual({ user: 'ada', looking: 'task 2' });
    expect(receiver.getStates().has(b.clientID)).toBe(false);
    a.destroy();
    b.destroy();
    receiver.destroy();
  });
});
