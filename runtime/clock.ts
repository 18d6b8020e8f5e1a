// The runtime's clock comes from contracts/, which sync shares: one Clock is injected into both.
export { systemClock, type Clock } from '../contracts/clock.js';
