/**
 * Time as the runtime sees it: the wall clock for timestamps and the timers that schedule work
 * (retries, timeouts). Injected, so tests can drive time instead of sleeping.
 */
export interface Clock {
  now(): Date;
  setTimeout(fire: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
