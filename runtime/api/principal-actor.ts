import type { Principal } from '../auth/token-store.js';
import type { ActorRef } from '../log/log-entry.js';

/** The audit identity of a request: the token's id, with its human name for readability. */
export function actorOf(principal: Principal | null): ActorRef {
  if (!principal) throw new Error('route needs an authenticated principal');
  return { kind: 'user', id: principal.tokenId, name: principal.name };
}
