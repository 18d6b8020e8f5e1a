// contracts/: the shapes every folder agrees on. A leaf: it imports zod only, and any folder
// (actors, git-engine, adapters, sync, runtime, web) may import it.
export * from './error-codes.js';
export * from './save.js';
export * from './promotion.js';
export * from './session-events.js';
export * from './log-entries.js';
export * from './views.js';
export * from './review.js';
export { systemClock, type Clock } from './clock.js';
export * from './secret-ref.js';
