/** The row that lists a session without loading its actor; written atomically with SESSION.CREATED. */
export type { SessionMeta } from '../../contracts/index.js';
export { SESSION_CREATED } from '../../contracts/index.js';
