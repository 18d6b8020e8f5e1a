import { useCallback, useEffect, useState } from 'react';
import { api, type ApiFailure } from './api.js';
import type { Member, Role } from './api-types.js';
import type { StoredUser } from './auth.js';

const ORDER: Role[] = ['viewer', 'reviewer', 'operator', 'admin'];

/**
 * The members of a session and the signed-in person's role there: admins keep admin; anyone else
 * has the lower of their token role and their member role (the runtime checks the same).
 */
export function useSessionMembers(sessionId: string | null, user: StoredUser | null) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const reload = useCallback(async () => {
    if (!sessionId) return;
    try {
      const body = await api<{ members: Member[] }>('GET', `/api/sessions/${sessionId}/members`);
      setMembers(body.members);
      setError(null);
    } catch (failure) {
      setError(failure as ApiFailure);
    }
  }, [sessionId]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { members, error, reload, role: sessionRole(user, members) };
}

export function sessionRole(user: StoredUser | null, members: Member[] | null): Role | undefined {
  if (!user) return undefined;
  if (user.role === 'admin') return 'admin';
  const member = members?.find((candidate) => candidate.tokenId === user.tokenId);
  // Until the list is in, the token role stands (the runtime refuses anything beyond the real one).
  if (!members) return user.role;
  if (!member) return 'viewer';
  return ORDER[Math.min(ORDER.indexOf(user.role), ORDER.indexOf(member.role))];
}
