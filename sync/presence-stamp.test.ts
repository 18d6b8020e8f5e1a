import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import { PresenceClaims, RateLimit, presenceColor, stampAwarenessUpdate } from './presence-stamp.js';

function update(entries: Array<[number, number, string]>): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const [clientId, clock, state] of entries) {
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, state);
  }
  return encoding.toUint8Array(encoder);
}

function read(bytes: Uint8Array): Array<[number, number, unknown]> {
  const decoder = decoding.createDecoder(bytes);
  const count = decoding.readVarUint(decoder);
  return Array.from({ length: count }, () => [decoding.readVarUint(decoder), decoding.readVarUint(decoder), JSON.parse(decoding.readVarString(decoder))]);
}

const rae = { userId: 'tok-rae', name: 'rae', role: 'reviewer' };

describe('stampAwarenessUpdate', () => {
  it('replaces the claimed user, keeps the rest of the state and removals', () => {
    const forged = update([
      [7, 3, JSON.stringify({ user: { name: 'admin', role: 'admin', color: '#000' }, looking: 'task t1' })],
      [8, 2, 'null'],
    ]);
    const stamped = stampAwarenessUpdate(forged, rae, () => true);
    expect(read(stamped as Uint8Array)).toEqual([
      [7, 3, { user: { id: 'tok-rae', name: 'rae', role: 'reviewer', color: presenceColor('tok-rae') }, looking: 'task t1' }],
      [8, 2, null],
    ]);
  });

  it('drops entries for client ids someone else holds, and states that are not objects', () => {
    const stamped = stampAwarenessUpdate(update([[1, 1, '{}'], [2, 1, '"text"'], [3, 1, 'not json']]), rae, (clientId) => clientId !== 1);
    expect(stamped).toBeNull();
  });
});

describe('PresenceClaims', () => {
  it('gives a client id to the first user who uses it on a document, per document', () => {
    const claims = new PresenceClaims(2);
    expect(claims.mayUse('d1', 10, 'rae')).toBe(true);
    expect(claims.mayUse('d1', 10, 'vic')).toBe(false);
    expect(claims.mayUse('d1', 10, 'rae')).toBe(true);
    expect(claims.mayUse('d2', 10, 'vic')).toBe(true);
    // Past the per-user cap the oldest id is let go (a reloaded tab), and can be taken again.
    expect(claims.mayUse('d1', 11, 'rae')).toBe(true);
    expect(claims.mayUse('d1', 12, 'rae')).toBe(true);
    expect(claims.mayUse('d1', 10, 'vic')).toBe(true);
    claims.release('d1');
    expect(claims.mayUse('d1', 12, 'vic')).toBe(true);
  });
});

describe('RateLimit', () => {
  it('allows the burst, then refills at the rate', () => {
    let now = 0;
    const limit = new RateLimit(10, 3, () => now);
    expect([limit.take(), limit.take(), limit.take(), limit.take()]).toEqual([true, true, true, false]);
    now += 100;
    expect([limit.take(), limit.take()]).toEqual([true, false]);
  });
});
