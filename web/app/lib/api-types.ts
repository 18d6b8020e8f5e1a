// The runtime's JSON shapes as the console reads them. Views, Save results and conflict reports
// come from contracts/ (the same definitions the runtime serves); the rest mirror runtime replies.
import type { RunView, SessionSummary, SessionView, TaskView } from '../../../contracts/index.js';

export type { RunView, SessionSummary, SessionView, TaskView };
export type { ConflictFile, ConflictHunk, ConflictReport, GateBlame, GateResult, SaveResult, SessionDamage } from '../../../contracts/index.js';
export type TaskStatus = TaskView['status'];
export type SessionStatus = SessionView['status'];
export type Role = 'viewer' | 'reviewer' | 'operator' | 'admin';

export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
}

export interface AgentStatus {
  id: string;
  status: string;
  reason?: string | null;
  [key: string]: unknown;
}

export interface DiffFile {
  path: string;
  status: 'added' | 'deleted' | 'modified' | 'mode' | 'typechange';
  additions: number;
  deletions: number;
  binary: boolean;
  patch: string;
}

export interface TaskDiff {
  base: string;
  head: string;
  files: DiffFile[];
  stats: { files: number; additions: number; deletions: number };
}

export interface RepoCheckpoint {
  tag: string;
  commit: string;
  date: string;
  message: string;
  /** The session whose start this checkpoint records (main when it was created); null for a Save's. */
  sessionStart: string | null;
}

/** One line of an agent's stream (adapters/agent-event.ts), as the state document or the log carries it. */
export interface StreamLine {
  type: string;
  seq: number;
  at: string;
  text?: string;
  command?: string;
  exitCode?: number | null;
  output?: string;
  path?: string;
  kind?: string;
  name?: string;
  message?: string;
  line?: string;
  [key: string]: unknown;
}

/** A token's role on one session (runtime/auth/membership-store.ts). */
export type MemberRole = 'viewer' | 'reviewer' | 'operator';

export interface Member {
  tokenId: string;
  name: string;
  role: MemberRole;
  owner: boolean;
}

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}
