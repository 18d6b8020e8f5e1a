import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { SaveResult, SessionEffects, SessionInput } from '../../actors/index.js';
import { ApiError } from '../errors.js';
import type { SessionLog, SnapshotPort } from '../storage/ports.js';
import type { ActorRef, LogEntry } from '../log/log-entry.js';
import { SYSTEM_ACTOR } from '../log/log-entry.js';
import { SessionHost } from './session-host.js';
import type { SessionMeta } from './session-meta.js';
import { jsonSublevel, type Db, type JsonSublevel } from '../storage/db.js';

/** States in which a task had side effects under way that a crash cut short. */
const IN_FLIGHT_TASK_STATES = new Set(['preparing', 'running', 'committing', 'retry_wait']);

export interface SessionDefaults {
  agentOrder: string[];
  maxParallel: number;
  taskTimeoutMs: number;
  maxRetries: number;
}

export interface RegistryDeps {
  db: Db;
  log: SessionLog;
  snapshots: SnapshotPort;
  logger: Logger;
  effects: (host: SessionHost) => SessionEffects;
  onApplied?: (host: SessionHost, entry: LogEntry) => void;
  onQuarantined?: (host: SessionHost) => void;
  /** Finishes or undoes a Save that a crash interrupted; returns the SAVE.COMPLETED result or null to run it again. */
  recoverSave?: (host: SessionHost, saveId: string) => Promise<SaveResult | null>;
  /**
   * Before a session's work is recovered: clears what a killed predecessor left in its repository
   * (stale locks of its refs) and settles a Save journal it still holds although the session is no
   * longer saving (a publish refused or cut short after its result was recorded). Never throws.
   */
  tidyRepository?: (host: SessionHost, saving: boolean) => Promise<void>;
  now?: () => Date;
  /** Cluster mode: take the new session's lease before its first append (throws to refuse). */
  beforeCreate?: (meta: SessionMeta) => Promise<void>;
}

export function newId(prefix: string): string {
  // Short, URL- and ref-safe, sortable enough for humans; collisions are checked by the caller.
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

/** All sessions of this node: creation, lookup, restore after a restart and crash recovery. */
export class SessionRegistry {
  private readonly hosts = new Map<string, SessionHost>();
  private closing = false;
  private readonly metaRows: JsonSublevel<SessionMeta>;

  constructor(private readonly deps: RegistryDeps) {
    this.metaRows = jsonSublevel(deps.db, 'sessions');
  }

  private now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  private hostDeps() {
    return { log: this.deps.log, snapshots: this.deps.snapshots, logger: this.deps.logger, onApplied: this.deps.onApplied, onQuarantined: this.deps.onQuarantined };
  }

  async restoreAll(): Promise<void> {
    for await (const [, meta] of this.metaRows.iterator()) {
      const host = await SessionHost.restore(meta, this.hostDeps(), this.deps.effects);
      this.hosts.set(meta.id, host);
    }
  }

  /** Sessions that are quarantined (their log holds an entry their actor cannot apply). */
  damaged(): SessionHost[] {
    return this.all().filter((host) => host.damage !== null);
  }

  /**
   * Rebuilds one session from its log (after an admin skipped or repaired its damaged entry) and,
   * if it now serves, recovers the work that was in flight when it was quarantined.
   */
  async reload(id: string): Promise<SessionHost> {
    const old = this.get(id);
    await old.close({ snapshot: false });
    const host = await SessionHost.restore(old.meta, this.hostDeps(), this.deps.effects);
    this.hosts.set(id, host);
    if (!host.damage) await this.recoverHost(host);
    return host;
  }

  /**
   * After a crash: tasks whose work was cut short are marked interrupted and re-queued (a resume
   * token travels with them), and an interrupted Save is finished or reported as interrupted.
   */
  async recoverInterrupted(): Promise<void> {
    for (const host of this.hosts.values()) {
      // A quarantined session is read-only until an admin repairs it (then reload recovers it).
      if (!host.damage) await this.recoverHost(host);
    }
  }

  private async recoverHost(host: SessionHost): Promise<void> {
    const view = host.view();
    // First: a re-queued task starts at once and must not meet a lock its killed predecessor left.
    await this.deps.tidyRepository?.(host, view.status === 'saving');
    const inFlight = view.tasks.filter((task) => IN_FLIGHT_TASK_STATES.has(task.status));
    for (const task of inFlight) {
      await host.submit({ type: 'TASK.INTERRUPT', taskId: task.id, reason: 'runtime restarted' }, { actor: SYSTEM_ACTOR, command: false });
      await host.submit({ type: 'TASK.REQUEUE', taskId: task.id }, { actor: SYSTEM_ACTOR, command: false });
    }
    const pending = view.pendingSave as { saveId?: string } | null;
    if (view.status === 'saving' && pending?.saveId) {
      // The engine's journal tells whether the refs were published before the crash; if not,
      // the repository is as it was and people decide whether to Save again.
      const recovered = this.deps.recoverSave ? await this.deps.recoverSave(host, pending.saveId) : null;
      const result: SaveResult = recovered ?? {
        status: 'error',
        error: { code: 'INTERRUPTED', message: 'the runtime restarted during Save; main was not changed. Save again.' },
      };
      await host.submit({ type: 'SAVE.COMPLETED', saveId: pending.saveId, result, at: this.now().toISOString() }, { actor: SYSTEM_ACTOR, command: false });
    }
    const rollback = view.pendingRollback as { rollbackId?: string } | null;
    if (rollback?.rollbackId) {
      await host.submit(
        { type: 'ROLLBACK.COMPLETED', rollbackId: rollback.rollbackId, result: { status: 'error', error: { code: 'INTERRUPTED', message: 'the runtime restarted during the rollback; check the checkpoint timeline and retry' } }, at: this.now().toISOString() },
        { actor: SYSTEM_ACTOR, command: false },
      );
    }
    // A promotion that was running (gates or ref move) when the runtime stopped: the CAS move is one
    // rename, so release/{env} either moved or not; people look at the environment and promote again.
    // Promotions still waiting for approvals stay pending.
    for (const promotion of view.pendingPromotions.filter((p) => p.state === 'running')) {
      await host.submit(
        { type: 'PROMOTION.COMPLETED', promotionId: promotion.promotionId, result: { status: 'error', error: { code: 'INTERRUPTED', message: `the runtime restarted during the promotion to ${promotion.environment}; check what release/${promotion.environment} holds and promote again` } }, at: this.now().toISOString() },
        { actor: SYSTEM_ACTOR, command: false },
      );
    }
  }

  /**
   * `beforeCreate` runs once the id is chosen and before anything is stored: when it throws, no
   * session exists (the create route records the session-start checkpoint there).
   */
  async create(input: { title: string; repoPath: string; baseBranch?: string; requireApproval?: boolean; defaults: SessionDefaults; by: ActorRef; beforeCreate?: (id: string) => Promise<void> }): Promise<SessionHost> {
    if (this.closing) throw new ApiError('SHUTTING_DOWN', 'the server is shutting down');
    let id = newId('s');
    while (this.hosts.has(id)) id = newId('s');
    await input.beforeCreate?.(id);
    const createdAt = this.now().toISOString();
    const onBranch = input.baseBranch ? { baseBranch: input.baseBranch } : {};
    const meta: SessionMeta = { id, title: input.title, repoPath: input.repoPath, ...onBranch, createdAt, createdBy: input.by.id };
    const machineInput: SessionInput = {
      sessionId: id,
      title: input.title,
      repoPath: input.repoPath,
      ...onBranch,
      createdAt,
      createdBy: input.by.name ?? input.by.id,
      ...input.defaults,
      ...(input.requireApproval ? { requireApproval: true } : {}),
    };
    await this.deps.beforeCreate?.(meta);
    const host = await SessionHost.create(meta, machineInput, input.by, this.hostDeps(), this.deps.effects, [
      { sublevel: this.metaRows, key: id, value: meta },
    ]);
    this.hosts.set(id, host);
    return host;
  }

  // --- cluster mode (runtime/cluster/cluster-node.ts): sessions come and go with their leases ---

  /** This node took the session's lease: rebuild it from the shared log and resume its work. */
  async adopt(meta: SessionMeta): Promise<SessionHost> {
    const existing = this.hosts.get(meta.id);
    if (existing) await existing.close({ snapshot: false });
    const host = await SessionHost.restore(meta, this.hostDeps(), this.deps.effects);
    this.hosts.set(meta.id, host);
    if (!host.damage) await this.recoverHost(host);
    return host;
  }

  /** This node lost the session's lease: stop its actor at once (no snapshot: it is not ours). */
  evict(id: string): SessionHost | null {
    const host = this.hosts.get(id);
    if (!host) return null;
    this.hosts.delete(id);
    void host.close({ snapshot: false }).catch(() => undefined);
    return host;
  }

  get(id: string): SessionHost {
    const host = this.hosts.get(id);
    if (!host) throw new ApiError('SESSION_NOT_FOUND', `no session ${id}`);
    return host;
  }

  has(id: string): boolean {
    return this.hosts.has(id);
  }

  all(): SessionHost[] {
    return [...this.hosts.values()].sort((a, b) => a.meta.createdAt.localeCompare(b.meta.createdAt));
  }

  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.hosts.values()].map((host) => host.close()));
  }
}
