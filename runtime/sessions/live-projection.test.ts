// A projection that fails (the state document was being reloaded, a storage error) is tried again:
// before, the session stayed on its old view in every watcher's tab until its next event.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncServer } from '../../sync/index.js';
import { LiveProjection } from './live-projection.js';
import type { SessionHost } from './session-host.js';

afterEach(() => { vi.useRealTimers(); });

describe('LiveProjection', () => {
  it('projects a session again after a failed projection, and stops after five failures in a row', async () => {
    vi.useFakeTimers();
    const projected: unknown[] = [];
    let failuresLeft = 1;
    const sync = {
      projectSession: async (_id: string, view: unknown) => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('state document session/s1/state is closed');
        }
        projected.push(view);
      },
    } as unknown as SyncServer;
    let version = 1;
    const host = { id: 's1', isClosed: false, view: () => ({ id: 's1', version }) } as unknown as SessionHost;
    const projection = new LiveProjection(sync, pino({ level: 'silent' }));
    projection.schedule(host);
    await vi.advanceTimersByTimeAsync(30);
    expect(projected).toEqual([]);
    version = 2;
    await vi.advanceTimersByTimeAsync(1_100);
    expect(projected).toEqual([{ id: 's1', version: 2 }]);

    // A session that never projects is tried five more times, then left (logged each time).
    failuresLeft = Infinity;
    projection.schedule(host);
    await vi.advanceTimersByTimeAsync(30);
    for (let i = 0; i < 8; i += 1) await vi.advanceTimersByTimeAsync(1_100);
    expect(vi.getTimerCount()).toBe(0);
  });
});
