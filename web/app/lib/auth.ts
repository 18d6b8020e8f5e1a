// The token stays in this browser tab (sessionStorage): closing the tab signs out, and no other
// site or tab can read it. It is sent only as `Authorization: Bearer` and to the sync socket.
const KEY = 'thalogos.token';
const USER_KEY = 'thalogos.user';

export interface StoredUser {
  name: string;
  role: 'viewer' | 'reviewer' | 'operator' | 'admin';
  tokenId: string;
}

export function readToken(): string | null {
  if (typeof window === 'undefined') return null;
  return window.sessionStorage.getItem(KEY);
}

export function readUser(): StoredUser | null {
  if (typeof window === 'undefined') return null;
  const raw = window.sessionStorage.getItem(USER_KEY);
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

export function signOut(): void {
  window.sessionStorage.removeItem(KEY);
  window.sessionStorage.removeItem(USER_KEY);
}

const ORDER = ['viewer', 'reviewer', 'operator', 'admin'] as const;

export function roleAtLeast(role: StoredUser['role'] | undefined, needed: StoredUser['role']): boolean {
  return role !== undefined && ORDER.indexOf(role) >= ORDER.indexOf(needed);
}
