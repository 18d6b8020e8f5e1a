import { mkdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import uWS from 'uWebSockets.js';
import type { Logger } from 'pino';
import { createAdapterRegistry, createSandbox } from '../adapters/index.js';
import { createGitEngine } from '../git-engine/index.js';
import { createSyncServer } from '../sync/index.js';
import type { AppContext } from './api/app-context.js';
import { createConsoleHandler } from './console/index.js';
import { auditRoutes } from './api/audit-routes.js';
import { damageRoutes } from './api/damage-routes.js';
import { saveRecoverRoutes } from './api/save-recover-routes.js';
import { promotionRoutes } from './api/promotion-routes.js';
import { conflictRoutes } from './api/conflict-routes.js';
import { reviewRoutes } from './api/review-routes.js';
import { sessionRoutes } from './api/session-routes.js';
import { planRoutes } from './api/plan-routes.js';
import { systemRoutes } from './api/system-routes.js';
import { DeviceSessions } from './auth/session-cookie.js';
import { deviceSessionRoutes } from './auth/session-cookie-routes.js';
import { memberRoutes } from './api/member-routes.js';
import { MembershipStore } from './auth/membership-store.js';
import { SessionAccess } from './auth/session-access.js';
import { TokenStore, type TokenRecord } from './auth/token-store.js';
import type { PutOp } from './storage/db.js';
import type { Config } from './config/config.js';
import { loadConfigFile, loadSigningKey } from './config/config-file.js';
import { createApiCore, MAX_BODY_BYTES } from './http/api-core.js';
import type { FetchHandler } from './http/fetch-handler.js';
import { mountFetch } from './http/uws/mount-fetch.js';
import { mountHealth } from './http/uws/mount-health.js';
import { untilRestored } from './http/until-restored.js';
import { healthReport } from './api/system-routes.js';
import { runsAfterHandshake } from './sessions/runs-after-handshake.js';
import { Router } from './http/router.js';
import type { LogAnchor } from './log/log-integrity.js';
import type { SessionLog } from './storage/ports.js';
import { loadClusterConfig } from './cluster/cluster-config.js';
import { openClusterNode } from './cluster/cluster-node.js';
import { openLedger } from './log/open-ledger.js';
import { agentEnvironment, hiddenSecrets } from './sessions/agent-environment.js';
import { LiveProjection } from './sessions/live-projection.js';
import { recordedGateSpawner } from './sessions/gate-spawner.js';
import { recordedSetupSpawner } from './sessions/setup-spawner.js';
import { LiveProcessGroups } from './sessions/live-process-groups.js';
import { SaveOutputStreams } from './sessions/save-output.js';
import { previewRoutes } from './api/preview-routes.js';
import { ciRoutes } from './api/ci-routes.js';
import { steeringRoutes } from './api/steering-routes.js';
import { AcpSteering } from './sessions/acp-steering.js';
import { ManagedRefPusher } from './ci/push-managed-refs.js';
import { resolveSecret } from './secrets/secret-ref.js';
import { withPreviews } from './previews/preview-proxy.js';
import { PreviewTickets } from './previews/preview-tickets.js';
import { TaskPorts } from './previews/task-ports.js';
import { killOrphanedRuns } from './sessions/run-files.js';
import { removeStaleSessionLocks } from './sessions/stale-locks.js';
import { RunTable } from './sessions/run-table.js';
import { createSessionEffects, type EffectsRuntime } from './sessions/session-effects.js';
import { SessionRegistry } from './sessions/session-registry.js';
import { Metrics } from './telemetry/metrics.js';
import { createLogger } from './telemetry/logger.js';
import { PROJECT_ROOT, VERSION } from './version.js';
import { systemClock, type Clock } from './clock.js';
import { repoTarget } from './sessions/session-meta.js';
import { resolveAllowedRepo } from './sessions/repo-policy.js';
import { CreateSessionBody } from './api/schemas.js';
import { openWebhooks } from './webhooks/index.js';

/** How long shutdown waits for agent processes: the adapters' SIGTERM grace (5 s) plus a margin. */
const AGENT_STOP_WAIT_MS = 8_000;

export interface RunningServer {
  url: string;
  port: number;
  context: AppContext;
  /** Set only when this start created the first admin token (so it can be printed once). */
  createdAdminToken: string | null;
  /** The whole HTTP surface (API and console) as a Fetch handler: tests call it in-process. */
  handle: FetchHandler;
  /**
   * Settles once the sessions are restored, their interrupted work recovered and every agent CLI
   * checked (never rejects; a failed restore is logged and the API answers 500 INTERNAL).
   */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Timestamps (log entries, events, snapshots) and timers (retries, timeouts, and every window sync keeps); tests inject one. */
  clock?: Clock;
  /**
   * Resolve as soon as the server listens, with sessions restored and agents checked in the
   * background (`thalogos serve`): `/healthz` answers at once, the API waits for the restore, and
   * agents show `checking` until their handshake ends. Default: resolve once `ready` has.
   */
  listenFirst?: boolean;
}

/** Composes the whole runtime: storage, auth, engine, adapters, sessions, HTTP on one uWS app. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const startedAt = now();
  const logger = options.logger ?? createLogger(config.logLevel);
  const fileConfig = await loadConfigFile(config.configFile);
  const signingKey = await loadSigningKey(fileConfig, env, path.dirname(config.configFile));
  await mkdir(config.dataDir, { recursive: true });

  // LevelDB, the event log and its head journal, checked against each other (log-integrity.ts).
  const ledger = await openLedger(config.dataDir, { repair: config.repairLog, logger, now });
  // Cluster mode (runtime/cluster, only with THALOGOS_REDIS_*): the event log and snapshots live
  // in Redis, shared by every node; LevelDB keeps this node's tokens and sync documents.
  const clusterConfig = loadClusterConfig(env, { host: config.host, port: config.port });
  const cluster = clusterConfig ? await openClusterNode(clusterConfig, { logger, now }) : null;
  // Cluster mode: the session lease's epoch, so the journal of a node that lost the session is stale here.
  const clusterEpoch = (sessionId: string): { leaseEpoch?: number } => {
    const epoch = cluster?.ownership.leases.fenceFor(sessionId)?.epoch;
    return epoch === undefined ? {} : { leaseEpoch: epoch };
  };
  if (cluster && config.worktreeDir.startsWith(config.dataDir + path.sep)) {
    // A survivor that takes a session over must find its worktrees at the path the log names.
    logger.warn({ worktreeDir: config.worktreeDir }, 'cluster mode with worktrees in this node\'s data dir: set THALOGOS_WORKTREE_DIR to the shared filesystem, or tasks interrupted by a failover fail with WORKTREE_EXISTS (docs/runbooks/cluster.md)');
  }
  const { db } = ledger;
  const log: SessionLog = cluster?.log ?? ledger.log;
  const snapshots = cluster?.snapshots ?? ledger.snapshots;
  const tokens = await TokenStore.open(db);
  const members = await MembershipStore.open(db);
  // Cluster mode: both stores follow the tables in Redis (tokens and memberships are shared).
  let syncRef: { disconnectUser(userId: string, sessionId?: string): number } | null = null;
  const sharedAuth = cluster ? await cluster.shareAuth({ tokens, members, onAccessChanged: (tokenId, sessionId) => syncRef?.disconnectUser(tokenId, sessionId) }) : null;
  const access = new SessionAccess(members);
  const createdAdminToken = await bootstrapAdminToken(tokens, config, log, logger);
  const devices = new DeviceSessions(config.dataDir, tokens);
  const sharedDevices = cluster?.shareDevices(devices) ?? null;
  // The webhook outbox reads the log from here on (runtime/webhooks); it lives in this node's LevelDB.
  const webhooks = await openWebhooks({ db, log, clock, env, logger: logger.child({ component: 'webhooks' }), settings: fileConfig.webhooks });

  // Agents and gates (which a task branch can rewrite) run without the runtime's own secrets.
  const hiddenNames = fileConfig.git.signingKeyPassphraseEnv ? [fileConfig.git.signingKeyPassphraseEnv] : [];
  const untrustedEnv = agentEnvironment(env, hiddenNames);
  // Agents, command tasks and gates run in one sandbox (docs/adapters.md): the data dir, the config
  // file and the signing key are hidden from them; "sandbox": "off" is warned about here.
  const signingKeyPath = fileConfig.git.signingKeyFile ? path.resolve(path.dirname(config.configFile), fileConfig.git.signingKeyFile) : null;
  const sandbox = createSandbox({
    mode: fileConfig.sandbox === 'off' ? 'off' : 'bubblewrap',
    instance: config.dataDir,
    hide: [config.dataDir, config.configFile, ...(signingKeyPath ? [signingKeyPath] : [])],
  }, untrustedEnv, logger);
  // Gates and setups by session: killed when this node stops owning the session (cluster mode).
  const liveGroups = new LiveProcessGroups();
  const engine = createGitEngine({
    orchestratorVersion: VERSION,
    gateEnv: untrustedEnv,
    gateSpawner: recordedGateSpawner(config.dataDir, sandbox, liveGroups),
    ...(fileConfig.git.committer ? { committer: fileConfig.git.committer } : {}),
    ...(signingKey ? { signingKey } : {}),
  });
  // Setup commands of `.thalogos.json` come from the repository: sandboxed and recorded like gates.
  const setupSpawner = recordedSetupSpawner(config.dataDir, sandbox, liveGroups);
  const adapters = createAdapterRegistry({
    config: fileConfig.adapters,
    env: untrustedEnv,
    extraSecrets: hiddenSecrets(env, hiddenNames),
    projectRoot: PROJECT_ROOT,
    logger,
    sandbox,
    // Agent credentials by reference (`envFrom`): read from the server's own environment, a 0600
    // file or a secret command at each handshake; the values stay in memory and are redacted.
    resolveSecrets: async (refs) => Object.fromEntries(await Promise.all(Object.entries(refs).map(async ([name, ref]) => [name, await resolveSecret(ref, env)] as const))),
  });
  // In the background: the CLIs' `--version` takes seconds, and nothing below needs it. Agents say
  // `checking` meanwhile; a run asked for before its adapter is checked waits for it
  // (runs-after-handshake.ts), and so does routing a new task (session-routes.ts).
  const handshake = adapters.handshakeAll().then(() => undefined, (error: unknown) => logger.error({ err: error }, 'agent handshake failed'));

  // One uWS app for everything: the API, the sync WebSocket and the console share the port.
  const app = uWS.App();
  // The sessions are restored once the server listens (restoreSessions below); the API and sync
  // wait for this. Settles with the failure (logged) or null, never rejects.
  let startRestore: () => void = () => undefined;
  const restored: Promise<unknown> = new Promise<void>((resolve) => (startRestore = resolve))
    .then(() => restoreSessions())
    .then(() => null, (error: unknown) => {
      logger.error({ err: error }, 'could not restore the sessions');
      return error ?? new Error('restore failed');
    });
  let restoreDone = false;
  void restored.then(() => (restoreDone = true));
  let sessionsRef: SessionRegistry | null = null;
  const sync = await createSyncServer({
    app,
    path: '/sync',
    authenticate: async (token) => {
      await sharedAuth?.freshenToken(token);
      await sharedDevices?.freshenTicket(token);
      // A console tab signed in by its device cookie sends a sync ticket instead of a token.
      const principal = tokens.authenticate(token) ?? devices.authenticateSyncTicket(token);
      return principal ? { userId: principal.tokenId, name: principal.name, role: principal.role } : null;
    },
    sessionExists: async (sessionId) => {
      await restored;
      // In cluster mode a session may run on another node: its documents are served here all the same.
      if (!sessionsRef?.has(sessionId)) return cluster ? await cluster.hasSession(sessionId) : false;
      // A document opened for the first time since the restart gets the session's current view.
      if (unprojected.delete(sessionId)) projection.schedule(sessionsRef.get(sessionId));
      return true;
    },
    // A non-member is refused exactly like an unknown session; the role on the session caps writes.
    roleOnSession: async (user, sessionId) => {
      await sharedAuth?.freshenMember(sessionId, user.userId);
      return access.roleOn({ tokenId: user.userId, name: user.name, role: user.role }, sessionId);
    },
    db: db.sublevel('sync'),
    ...(cluster ? { cluster: { redis: cluster.redis, keyPrefix: cluster.config.keyPrefix, nodeId: cluster.config.nodeId } } : {}),
    logger: logger.child({ component: 'sync' }),
    clock,
  });
  syncRef = sync;
  const projection = new LiveProjection(sync, logger);
  const taskPorts = new TaskPorts();
  const refPusher = new ManagedRefPusher({ engine, logger: logger.child({ component: 'ci' }) });
  const previewTickets = new PreviewTickets(() => clock.now().getTime());
  const saveOutput = new SaveOutputStreams((sessionId, taskId, runId, event) => {
    // A session closed meanwhile has no document to write to; the Save's result still has the output.
    try { sync.appendAgentEvent(sessionId, taskId, runId, event); } catch (error) { logger.debug({ err: error, sessionId }, 'gate output not streamed'); }
  }, clock);

  /** While the start recovers sessions, those on one repository share one inspection of it. */
  let startInspections: Map<string, ReturnType<typeof engine.inspectRepository>> | null = new Map();
  const inspectAtStart = (repoPath: string): ReturnType<typeof engine.inspectRepository> => {
    if (!startInspections) return engine.inspectRepository(repoPath);
    let inspection = startInspections.get(repoPath);
    if (!inspection) startInspections.set(repoPath, (inspection = engine.inspectRepository(repoPath)));
    return inspection;
  };
  const effectsRuntime: EffectsRuntime = { runs: new RunTable(), timers: new Set(), closing: false, clock };
  const steering = new AcpSteering({ clock, timeoutMs: fileConfig.adapters.permissionTimeoutMs });
  let shuttingDown = false;
  let metrics: Metrics | null = null;
  const sessions: SessionRegistry = new SessionRegistry({
    db,
    log,
    snapshots,
    logger,
    effects: (host) => runsAfterHandshake(createSessionEffects(host, {
        engine,
        adapters,
        dataDir: config.dataDir,
        worktreeDir: config.worktreeDir,
        ...(cluster ? { leaseEpoch: (sessionId: string) => cluster.ownership.leases.fenceFor(sessionId)?.epoch ?? null, holdsLease: (sessionId: string, epoch: number) => cluster.ownership.leases.holds(sessionId, epoch) } : {}),
        logger,
        sharedMemory: (sessionId) => sync.readSharedMemory(sessionId),
        onAgentOutcome: (agent, outcome, usage) => {
          metrics?.agentRuns.inc({ agent, outcome });
          metrics?.agentTokens.inc({ agent, kind: 'input' }, usage.inputTokens);
          metrics?.agentTokens.inc({ agent, kind: 'output' }, usage.outputTokens);
          if (usage.costUsd !== null) metrics?.agentCostUsd.inc({ agent }, usage.costUsd);
        },
        onSaveFinished: (outcome, seconds) => metrics?.saveDuration.observe({ outcome }, seconds),
        saveOutput,
        ports: taskPorts,
        setup: { spawner: setupSpawner, env: untrustedEnv },
        logHead: () => log.head,
        now,
        branchRetention: fileConfig.git.pruneTaskBranches,
        steering,
      }, effectsRuntime), adapters),
    onApplied: (host, entry) => {
      projection.onApplied(host, entry);
      webhooks.onApplied(host, entry);
      refPusher.onApplied(host, entry);
    },
    // A session quarantined while live shows its damage in the console at once (and alerts).
    onQuarantined: (host) => {
      projection.schedule(host);
      webhooks.onQuarantined(host);
    },
    now,
    recoverSave: async (host) => {
      let recovered;
      try {
        recovered = await engine.recoverSave({ ...repoTarget(host.meta), sessionId: host.id, ...clusterEpoch(host.id) });
      } catch (error) {
        // E.g. SAVE_IN_PROGRESS: another live process holds the journal. Never block the start.
        logger.error({ sessionId: host.id, err: error }, 'could not recover the interrupted Save');
        const code = (error as { code?: unknown }).code;
        return { status: 'error', error: { code: typeof code === 'string' ? code : 'INTERNAL', message: `${(error as Error).message}; see GET /api/sessions/${host.id}/save/recover` } };
      }
      if (recovered.state === 'completed') return recovered.result;
      // Nothing was published: say why when the engine knows (e.g. main was locked).
      if (recovered.state === 'rolled_back' && recovered.reason) return { status: 'error', error: recovered.reason };
      return null;
    },
    tidyRepository: async (host, saving) => {
      try {
        // Locks of the session's own refs left by a killed predecessor would fail its re-queued work.
        const { gitdir } = await inspectAtStart(host.meta.repoPath);
        const removed = await removeStaleSessionLocks(gitdir, host.id, startedAt);
        if (removed.length > 0) logger.warn({ sessionId: host.id, removed }, 'removed ref locks a killed predecessor left');
        if (saving) return; // an interrupted Save is finished by recoverSave, with its outcome logged
        const pending = await engine.pendingSave({ ...repoTarget(host.meta), sessionId: host.id, ...clusterEpoch(host.id) });
        if (!pending) return;
        const recovered = await engine.recoverSave({ ...repoTarget(host.meta), sessionId: host.id, ...clusterEpoch(host.id) });
        logger.warn({ sessionId: host.id, saveId: pending.saveId, state: recovered.state }, 'settled a Save the repository still had a journal of');
      } catch (error) {
        logger.error({ sessionId: host.id, err: error }, 'could not settle a leftover Save journal; see GET /api/sessions/:id/save/recover');
      }
    },
    ...(cluster ? { beforeCreate: (meta) => cluster.beforeCreate(meta) } : {}),
  });
  metrics = new Metrics({
    sessionsByState: () => countBy(sessions.all().map((host) => host.status())),
    tasksByState: () => countBy(sessions.all().flatMap((host) => host.view().tasks.map((task) => task.status))),
  });
  const liveMetrics = metrics;
  log.onAppend((entries) => {
    for (const entry of entries) liveMetrics.eventLogAppends.inc({ type: entry.type });
  });

  sessionsRef = sessions;
  // Agent processes a crashed predecessor left running would race the re-queued runs.
  for (const orphan of killOrphanedRuns(config.dataDir)) {
    logger.warn({ kind: orphan.kind ?? 'agent', sessionId: orphan.sessionId, taskId: orphan.taskId, runId: orphan.runId, pid: orphan.pid }, 'killed a process left over from before the restart');
  }
  /** Sessions restored at this start whose state document has not been re-projected yet. */
  const unprojected = new Set<string>();
  // Started once the server listens (below); the API waits for it, /healthz does not.
  const restoreSessions = async (): Promise<void> => {
    if (cluster) return void (startInspections = null);
    const began = performance.now();
    await sessions.restoreAll();
    const replayedMs = Math.round(performance.now() - began);
    // The state documents are persisted too, but the log is the truth: each is re-projected when
    // someone opens it (sessionExists below) or the session changes, not all of them now.
    for (const host of sessions.all()) unprojected.add(host.id);
    // Before new work appends: deliveries a crash left owed are written and resumed.
    await webhooks.start(sessions);
    await sessions.recoverInterrupted().finally(() => (startInspections = null));
    logger.info({ sessions: sessions.all().length, replayedMs, ms: Math.round(performance.now() - began) }, 'sessions restored');
  };

  const context: AppContext = {
    config,
    sessions,
    log,
    tokens,
    members,
    access,
    engine,
    sync,
    adapters,
    metrics,
    defaults: {
      agentOrder: fileConfig.adapters.order,
      maxParallel: fileConfig.sessions.maxParallel,
      taskTimeoutMs: fileConfig.sessions.taskTimeoutMs,
      maxRetries: fileConfig.sessions.maxRetries,
    },
    version: VERSION,
    startedAt,
    now,
    node: { id: clusterConfig?.nodeId ?? `${config.host}:${config.port}`, cluster: cluster !== null },
    startup: { sessionsRestored: () => restoreDone, agentsChecked: () => !adapters.statuses().some((status) => status.status === 'checking') },
  };

  const router = new Router();
  for (const route of [...systemRoutes(context), ...sessionRoutes(context), ...memberRoutes(context), ...conflictRoutes(context), ...reviewRoutes(context), ...promotionRoutes(context), ...damageRoutes(context), ...saveRecoverRoutes(context), ...previewRoutes(context, taskPorts, previewTickets), ...ciRoutes(context), ...planRoutes(context, effectsRuntime.runs, logger), ...steeringRoutes(context, steering), ...deviceSessionRoutes(devices), ...webhooks.routes()]) router.add(route);
  // Each checkpoint tag carries the log head at its Save: git itself vouches for the log's past.
  const checkpointAnchors = async (): Promise<LogAnchor[]> => {
    const repos = [...new Set(sessions.all().map((host) => host.meta.repoPath))];
    const anchors: LogAnchor[] = [];
    for (const repo of repos) {
      const checkpoints = await engine.listCheckpoints(repo).catch(() => []);
      for (const checkpoint of checkpoints) {
        if (checkpoint.logHead) anchors.push({ ...checkpoint.logHead, source: `${repo} ${checkpoint.tag}`, at: checkpoint.date });
      }
    }
    return anchors;
  };
  for (const route of auditRoutes({ audit: (anchors) => (cluster ? cluster.audit(anchors) : ledger.audit(anchors)), anchors: checkpointAnchors })) router.add(route);
  for (const route of cluster?.routes() ?? []) router.add(route);
  // The web console (React Router build) answers every path the API does not claim.
  const consoleHandler = await createConsoleHandler({
    buildDir: path.join(PROJECT_ROOT, 'web', 'build'),
    onError: (error) => logger.error({ err: error }, 'console request failed'),
  });
  const core = createApiCore({
    router,
    tokens,
    sessionAccess: access,
    logger,
    isShuttingDown: () => shuttingDown,
    cookieAuth: (headers, method, publicRoute) => devices.authenticate(headers, method, publicRoute),
    fallback: consoleHandler,
    onRequest: (method, route, status) => liveMetrics.httpRequests.inc({ method, route, status: String(status) }),
  });
  // Cluster mode routes a session's commands to the node that owns it.
  const routed = cluster ? cluster.wrap(core, { canonicalRepo: (body) => canonicalRepo(body, engine, config.repoRoots) }) : core;
  // Previews of task dev servers are proxied here, beside the API (never through the console).
  const previewing = withPreviews(routed, { tickets: previewTickets, ports: taskPorts, tokens, access, logger: logger.child({ component: 'previews' }) });
  // Until the sessions are restored, API requests wait (they would not find them); /healthz does not.
  const handle = untilRestored(previewing, restored, () => restoreDone);
  // /healthz straight from uWS, before the Fetch bridge, auth and the router: it never queues behind them.
  mountHealth(app, () => (shuttingDown ? null : healthReport(context)), () => liveMetrics.httpRequests.inc({ method: 'GET', route: 'GET /healthz', status: '200' }));
  mountFetch(app, handle, { maxBodyBytes: MAX_BODY_BYTES, onError: (error) => logger.error({ err: error }, 'request failed in the HTTP adapter') });

  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(config.host, config.port, (socket) => (socket ? resolve(socket) : reject(new Error(`cannot listen on ${config.host}:${config.port}`))));
  });
  const port = uWS.us_socket_local_port(listenSocket);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url, dataDir: config.dataDir }, 'thalogos runtime listening');
  startRestore();
  // A cluster node takes its sessions once it can serve them (replay, then resume their work).
  await cluster?.start({ sessions, runs: effectsRuntime.runs, onAdopted: (host) => projection.schedule(host), onLost: (sessionId) => liveGroups.killSession(sessionId) });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Order matters: refuse new requests and new work first, let each session's queue drain
      // (effects now start nothing), then stop the agents that are still running and wait for
      // their process groups (SIGTERM, then SIGKILL after the adapters' grace period).
      shuttingDown = true;
      effectsRuntime.closing = true;
      uWS.us_listen_socket_close(listenSocket);
      // A restore still running would add sessions behind closeAll's back.
      await restored;
      await projection.flush();
      // Cluster mode: hand every session over to the other nodes first (drain).
      await cluster?.close({ drain: true });
      await sessions.closeAll();
      await webhooks.close();
      for (const timer of effectsRuntime.timers) clock.clearTimeout(timer);
      await effectsRuntime.runs.cancelAll('runtime shutting down', AGENT_STOP_WAIT_MS);
      await sync.close();
      await engine.close();
      await ledger.close();
      logger.info('thalogos runtime stopped');
    })();
    return closing;
  };

  const ready = Promise.all([restored, handshake]).then(() => undefined);
  if (!options.listenFirst) {
    // Embedded (tests, tools): everything restored and checked before the caller goes on, and a
    // restore that fails fails the start, as before listen-first existed.
    const failure = await restored;
    if (failure) {
      await close().catch(() => undefined);
      throw failure;
    }
    await handshake;
  }
  return { url, port, context, createdAdminToken, handle, ready, close };
}

/**
 * First start: create the admin token (THALOGOS_ADMIN_TOKEN when set, for automation). A token
 * given by the environment on a later start is added too, so automation keeps working.
 */
async function bootstrapAdminToken(tokens: TokenStore, config: Config, log: SessionLog, logger: Logger): Promise<string | null> {
  const audited = (source: string) => async (record: TokenRecord, write: PutOp) => {
    await log.appendOne({ actor: { kind: 'system', id: 'bootstrap' }, sessionId: null, type: 'TOKEN.CREATED', data: { id: record.id, name: record.name, role: record.role, source } }, [write]);
  };
  if (config.adminToken && !tokens.has(config.adminToken)) {
    // The operator chose this token: it is not printed (it would end up in service logs).
    await tokens.create({ name: 'admin', role: 'admin', createdBy: 'bootstrap', secret: config.adminToken }, audited('THALOGOS_ADMIN_TOKEN'));
    return null;
  }
  if (!tokens.isEmpty()) return null;
  const { token } = await tokens.create({ name: 'admin', role: 'admin', createdBy: 'bootstrap' }, audited('generated'));
  logger.debug('created the first admin token');
  return token;
}

/** The repository a session creation names, as the create route resolves it (placement key). */
async function canonicalRepo(body: unknown, engine: ReturnType<typeof createGitEngine>, roots: Config['repoRoots']): Promise<string> {
  const given = await resolveAllowedRepo(CreateSessionBody.parse(body).repoPath, roots);
  return resolveAllowedRepo((await engine.inspectRepository(given)).repoPath, roots);
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
