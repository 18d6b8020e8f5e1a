import type { Clock } from '../../contracts/clock.js';

/**
 * A clock that moves only when a test says so: `advance(ms)` fires, in order, every timer that
 * falls due, each seeing `now()` at its own due time. Lets a test show that a window, limit or
 * deadline follows the injected clock and not the process's.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fire: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.nowMs = start;
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  setTimeout(fire: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.nowMs + Math.max(0, ms), fire });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      let next: [number, { at: number; fire: () => void }] | null = null;
      for (const entry of this.timers) if (entry[1].at <= target && (next === null || entry[1].at < next[1].at)) next = entry;
      if (next === null) break;
      this.timers.delete(next[0]);
      this.nowMs = next[1].at;
      next[1].fire();
    }
    this.nowMs = target;
  }
}
