import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { Logo } from '../components/app-shell.js';
import { ErrorNotice } from '../components/error-notice.js';
import { Button, inputClass, labelClass } from '../components/ui.js';
import { api, type ApiFailure } from '../lib/api.js';
import type { Principal } from '../lib/api-types.js';
import { storeDeviceSignIn, storeSignIn, type DeviceSignIn } from '../lib/auth.js';

export function meta() {
  return [{ title: 'Sign in · Thalogos' }];
}

export default function SignIn() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (remember) {
        // The token goes to the runtime once, for an HttpOnly cookie; this tab keeps no copy.
        storeDeviceSignIn(await api<DeviceSignIn>('POST', '/api/auth/session', { token: token.trim() }, null));
      } else {
        const me = await api<Principal>('GET', '/api/me', undefined, token.trim());
        storeSignIn(token.trim(), { name: me.name, role: me.role, tokenId: me.tokenId });
      }
      const next = params.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/sessions', { replace: true });
    } catch (failure) {
      setError(failure as ApiFailure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="grid min-h-dvh place-items-center bg-gradient-to-b from-zinc-100 to-zinc-50 px-4 dark:from-zinc-950 dark:to-zinc-900">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex justify-center text-lg">
          <Logo />
        </div>
        <form onSubmit={submit} className="space-y-4 rounded-xl border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900" aria-labelledby="sign-in-title">
          <div>
            <h1 id="sign-in-title" className="text-base font-semibold">
              Sign in
            </h1>
            <p className="mt-1 text-sm text-zinc-500 dark:text-zinc-400">
              Paste the access token you were given. The admin token is printed when the runtime first starts.
            </p>
          </div>
          {params.get('expired') ? (
            <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950/60 dark:text-amber-200">
              The runtime no longer accepts the token this tab had (revoked or unknown). Sign in again to continue where you were.
            </p>
          ) : null}
          <div>
            <label htmlFor="token" className={labelClass}>
              Access token
            </label>
            <input
              id="token"
              name="token"
              type="password"
              autoComplete="off"
              required
              spellCheck={false}
              value={token}
              onChange={(event) => setToken(event.target.value)}
              className={`${inputClass} font-mono`}
              placeholder="thg_…"
            />
          </div>
          <label className="flex items-start gap-2 text-sm">
            <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.target.checked)} className="mt-1" />
            <span>
              Remember me on this device
              <span className="block text-xs text-zinc-600 dark:text-zinc-400">New tabs and shared links open signed in, for 30 days or until you sign out. Leave it off on a shared computer.</span>
            </span>
          </label>
          <ErrorNotice error={error} title="Sign-in failed" />
          <Button type="submit" variant="primary" className="w-full" disabled={busy || token.trim() === ''}>
            {busy ? 'Signing in…' : 'Sign in'}
          </Button>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">{remember ? 'The token is exchanged for a cookie only this runtime can read; the page keeps no copy.' : 'The token stays in this browser tab and is sent only to this runtime.'}</p>
        </form>
      </div>
    </main>
  );
}
