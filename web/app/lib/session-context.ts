import { useOutletContext } from 'react-router';
import type { StoredUser } from './auth.js';
import type { LiveSession } from './live-session.js';
import type { SessionView } from './api-types.js';
import type { useSessionMembers } from './session-role.js';

export interface SessionOutlet {
  live: LiveSession;
  view: SessionView;
  /** The signed-in person, with their role on this session. */
  user: StoredUser | null;
  membership: ReturnType<typeof useSessionMembers>;
}

export function useSession(): SessionOutlet {
  return useOutletContext<SessionOutlet>();
}
