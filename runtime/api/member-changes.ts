import type { MemberRole, MembershipRecord } from '../auth/membership-store.js';
import type { Principal } from '../auth/token-store.js';
import type { ActorRef, NewLogEntry } from '../log/log-entry.js';
import { MEMBER_ADDED, MEMBER_CHANGED, MEMBER_REMOVED } from '../log/audit-only-types.js';
import type { AppContext } from './app-context.js';
import { actorOf } from './principal-actor.js';

type Deps = Pick<AppContext, 'members' | 'log'>;
type MemberEntryType = typeof MEMBER_ADDED | typeof MEMBER_CHANGED | typeof MEMBER_REMOVED;

export interface MemberChange {
  type: MemberEntryType;
  record: MembershipRecord;
  previousRole?: MemberRole;
}

/** The audit entry of one membership change (who, on which session, which role; never a secret). */
export function memberEntry(change: MemberChange, actor: ActorRef, name: string): NewLogEntry {
  const { record } = change;
  return {
    actor,
    sessionId: record.sessionId,
    type: change.type,
    data: {
      tokenId: record.tokenId,
      name,
      role: record.role,
      owner: record.owner,
      ...(change.previousRole ? { previousRole: change.previousRole } : {}),
    },
  };
}

/**
 * Membership rows and their audit entries land in one LevelDB batch (like TOKEN.CREATED with its
 * token row): a crash cannot leave an access grant the log does not account for.
 */
export async function applyMemberChanges(app: Deps, changes: Array<MemberChange & { name: string }>, actor: ActorRef): Promise<void> {
  if (changes.length === 0) return;
  const writes = changes.map((change) => app.members.writeFor(change.record));
  await app.log.append(changes.map((change) => memberEntry(change, actor, change.name)), writes);
  app.members.apply(changes.map((change) => change.record));
}

/**
 * The creator of a session becomes its owner (an operator member). Called right after the session
 * exists; should the process die in between, the session has no owner and only admins see it.
 */
export async function recordOwner(app: Deps, sessionId: string, principal: Principal | null): Promise<void> {
  const actor = actorOf(principal);
  const record: MembershipRecord = {
    sessionId,
    tokenId: actor.id,
    role: 'operator',
    owner: true,
    addedAt: new Date().toISOString(),
    addedBy: actor.id,
    removedAt: null,
  };
  await applyMemberChanges(app, [{ type: MEMBER_ADDED, record, name: actor.name ?? actor.id }], actor);
}

export function memberView(record: MembershipRecord, name: string): { tokenId: string; name: string; role: MemberRole; owner: boolean } {
  return { tokenId: record.tokenId, name, role: record.role, owner: record.owner };
}
