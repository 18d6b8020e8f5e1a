// Two ways to be signed in. By default the token stays in this browser tab (sessionStorage):
// closing the tab signs out, and it is sent only as `Authorization: Bearer` and to the sync socket.
// With "remember me on this device" the token is exchanged once for an HttpOnly, SameSite=Strict
// cookie (runtime/auth/session-cookie.ts): the tab then keeps only the CSRF token writes must carry
// and a ticket for the sync socket, and a new tab recovers both from the cookie.
const KEY = 'thalogos.token';
const USER_KEY = 'thalogos.user';
const CSRF_KEY = 'thalogos.csrf';
const TICKET_KEY = 'thalogos.syncTicket';
export const CSRF_HEADER = 'x-thalogos-csrf';

export interface StoredUser {
  name: string;
  role: 'viewer' | 'reviewer' | 'operator' | 'admin';
  tokenId: string;
}

export interface DeviceSignIn {
  user: StoredUser;
  csrfToken: string;
  syncTicket: string;
}

function storage(): Storage | null {
  return typeof window === 'undefined' ? null : window.sessionStorage;
}

/** The bearer token of a tab signed in without "remember me". */
export function readToken(): string | null {
  return storage()?.getItem(KEY) ?? null;
}

/** The CSRF token of a tab signed in by the device cookie. */
export function readCsrf(): string | null {
  return storage()?.getItem(CSRF_KEY) ?? null;
}

/** What the sync socket authenticates with: the token, or the device session's ticket. */
export function readSyncCredential(): string | null {
  return readToken() ?? storage()?.getItem(TICKET_KEY) ?? null;
}

export function isSignedIn(): boolean {
  return readToken() !== null || readCsrf() !== null;
}

export function readUser(): StoredUser | null {
  const raw = storage()?.getItem(USER_KEY);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as StoredUser;
  } catch {
    return null;
  }
}

export function storeSignIn(token: string, user: StoredUser): void {
  window.sessionStorage.setItem(KEY, token);
  window.sessionStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function storeDeviceSignIn(signIn: DeviceSignIn): void {
  window.sessionStorage.removeItem(KEY);
  window.sessionStorage.setItem(CSRF_KEY, signIn.csrfToken);
  window.sessionStorage.setItem(TICKET_KEY, signIn.syncTicket);
  window.sessionStorage.setItem(USER_KEY, JSON.stringify(signIn.user));
}

/** A tab without its own sign-in asks whether this device is remembered (the cookie decides). */
export async function restoreDeviceSignIn(): Promise<boolean> {
  try {
    const response = await fetch('/api/auth/session', { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    if (!response.ok) return false;
    storeDeviceSignIn((await response.json()) as DeviceSignIn);
    return true;
  } catch {
    return false;
  }
}

/** Forgets the sign-in in this tab only (e.g. a refused token). */
export function signOut(): void {
  for (const key of [KEY, USER_KEY, CSRF_KEY, TICKET_KEY]) window.sessionStorage.removeItem(key);
}

/** The Sign out button: also ends the device session on the runtime, so other tabs are signed out. */
export async function signOutEverywhere(): Promise<void> {
  const csrf = readCsrf();
  signOut();
  if (csrf) {
    await fetch('/api/auth/session', { method: 'DELETE', headers: { [CSRF_HEADER]: csrf }, credentials: 'same-origin' }).catch(() => undefined);
  }
}

const ORDER = ['viewer', 'reviewer', 'operator', 'admin'] as const;

export function roleAtLeast(role: StoredUser['role'] | undefined, needed: StoredUser['role']): boolean {
  return role !== undefined && ORDER.indexOf(role) >= ORDER.indexOf(needed);
}
