import { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { isSignedIn, readUser, restoreDeviceSignIn, type StoredUser } from './auth.js';

/**
 * The signed-in person, read after hydration (the token lives only in the browser, so the
 * server renders the signed-out shell). Sends people who are not signed in, in this tab or by
 * this device's cookie, to the sign-in page.
 */
export function useSignedIn(): { user: StoredUser | null; ready: boolean } {
  const navigate = useNavigate();
  const location = useLocation();
  const [state, setState] = useState<{ user: StoredUser | null; ready: boolean }>({ user: null, ready: false });
  useEffect(() => {
    let stopped = false;
    void (async () => {
      // A new tab or a shared link on a remembered device: the cookie signs it in.
      const signedIn = isSignedIn() || (await restoreDeviceSignIn());
      if (stopped) return;
      if (!signedIn) {
        navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
        return;
      }
      setState({ user: readUser(), ready: true });
    })();
    return () => {
      stopped = true;
    };
  }, [navigate, location.pathname, location.search]);
  return state;
}
