import { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { readToken, readUser, type StoredUser } from './auth.js';

/**
 * The signed-in person, read after hydration (the token lives only in the browser, so the
 * server renders the signed-out shell). Sends people without a token to the sign-in page.
 */
export function useSignedIn(): { user: StoredUser | null; ready: boolean } {
  const navigate = useNavigate();
  const location = useLocation();
  const [state, setState] = useState<{ user: StoredUser | null; ready: boolean }>({ user: null, ready: false });
  useEffect(() => {
    const token = readToken();
    if (!token) {
      navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      return;
    }
    setState({ user: readUser(), ready: true });
  }, [navigate, location.pathname, location.search]);
  return state;
}
