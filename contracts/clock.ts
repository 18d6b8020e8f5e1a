/**
 * Time as the runtime and sync see it: the wall clock for timestamps and the timers that schedule
 * work (retries, timeouts, coalescing windows, idle releases). Injected everywhere from one place,
 * so tests drive time instead of sleeping and a cluster node can be given a skewed clock.
 * A type only: it compiles to nothing, so contracts/ stays a leaf.
 */
export interface Clock {
  now(): Date;
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process's own clock and timers. */
export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
