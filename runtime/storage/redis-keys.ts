import type { SideWrite } from './ports.js';

/** Every key cluster mode uses, in one place (the runbook lists them for operators). */
export function redisKeys(prefix: string) {
  return {
    /** Hash {seq, hash}: the head of the global chain. */
    head: `${prefix}log:head`,
    /** Stream of every entry, id `<seq>-0`, field `e` = the entry's JSON: what `audit verify` walks. */
    log: `${prefix}log`,
    /** Stream of one session's entries (same ids and JSON): what replay reads. */
    sessionLog: (sessionId: string) => `${prefix}log:session:${sessionId}`,
    /** Hash sessionId -> snapshot row JSON. */
    snapshots: `${prefix}snapshots`,
    /** Hash per table (`sessions`, `tokens`, ...): rows written atomically with log entries. */
    table: (name: string) => `${prefix}table:${name}`,
    /** `<epoch> <nodeId>` with a TTL: the session's lease and fence (cluster/lease.ts). */
    lease: (sessionId: string) => `${prefix}lease:${sessionId}`,
    /** A node's heartbeat: JSON {id, url, startedAt} with a TTL. */
    node: (nodeId: string) => `${prefix}node:${nodeId}`,
    nodePattern: `${prefix}node:*`,
  };
}

/** The table a side write goes to: the LevelDB sublevel's name (`!sessions!` -> `sessions`). */
export function sideWriteTable(write: SideWrite): string {
  const name = write.sublevel.prefix.replace(/^!|!$/g, '');
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`side write to an unnamed or nested sublevel (${write.sublevel.prefix})`);
  return name;
}
