import { useOutletContext } from 'react-router';
import type { StoredUser } from './auth.js';
import type { LiveSession } from './live-session.js';
import type { SessionView } from './api-types.js';

export interface SessionOutlet {
  live: LiveSession;
  view: SessionView;
  user: StoredUser | null;
}

export function useSession(): SessionOutlet {
  return useOutletContext<SessionOutlet>();
}
