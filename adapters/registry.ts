import { isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { SecretRef } from '../contracts/secret-ref.js';
import { AdaptersConfigSchema, AdapterConfigSchema, type AdaptersConfigInput, type AdapterConfig } from './adapter-config.js';
import type { AgentAdapter, RunOptions } from './agent-adapter.js';
import { ADAPTERS } from './adapter-list.js';
import type { AdapterStatus } from './capability.js';
import { AdapterError } from './errors.js';
import { handshake } from './handshake.js';
import { createRedactor, type Redactor } from './redact.js';
import { createSandbox, type Sandbox, type SandboxedCommand, type SandboxStatus } from './sandbox/sandbox.js';
import { ensureStateDirs } from './sandbox/state-dirs.js';
import { spawnRun, type AgentRun } from './spawn-run.js';

export interface AdapterRegistryOptions {
  config: AdaptersConfigInput;
  env: NodeJS.ProcessEnv;
  /** For the `node_modules/.bin` lookup. */
  projectRoot: string;
  now?: () => Date;
  logger?: Logger;
  /** Defaults to the four built-in adapters. */
  adapters?: readonly AgentAdapter[];
  /** Between SIGTERM and SIGKILL on cancel and timeout (default 5 s). */
  killGraceMs?: number;
  versionTimeoutMs?: number;
  /** Values redacted from every sink although the children never see them (the host's own tokens). */
  extraSecrets?: readonly string[];
  /** Confines every run (default: bubblewrap, nothing hidden but what bubblewrap hides anyway). */
  sandbox?: Sandbox;
  /** Resolves an adapter's `envFrom` references (the runtime reads files and runs secret commands). */
  resolveSecrets?: (refs: Record<string, SecretRef>) => Promise<Record<string, string>>;
}

export interface AdapterRegistry {
  /**
   * At start-up (in the background: adapters show `checking` until their own handshake ends) and
   * on `POST /api/agents/refresh`. A call while one runs joins it.
   */
  handshakeAll(): Promise<AdapterStatus[]>;
  /** Whether this adapter's first handshake is still running. */
  isChecking(id: string): boolean;
  /** Resolves once none of these adapters (default: all) is `checking` any more. Never rejects. */
  checked(ids?: readonly string[]): Promise<void>;
  /** Last known statuses, in registration order. */
  statuses(): AdapterStatus[];
  /** The configured fallback order, restricted to known adapters. */
  order(): string[];
  isAvailable(id: string): boolean;
  unavailableReason(id: string): string | null;
  /** Throws AdapterError UNKNOWN_ADAPTER / ADAPTER_UNAVAILABLE / INVALID_RUN_OPTIONS. */
  run(id: string, opts: RunOptions): AgentRun;
  /** Redacts every secret the children may see; apply it before anything reaches a sink. */
  redactor: Redactor;
  /** The sandbox every run goes through, and whether it is ready (see docs/adapters.md). */
  sandbox(): SandboxStatus;
}

/** MAX_ARG_STRLEN on Linux: one argument, including its NUL terminator. */
const MAX_ARG_BYTES = 131_072;

const RunOptionsSchema = z.object({
  runId: z.string().min(1).max(200),
  cwd: z.string().refine(isAbsolute, 'cwd must be an absolute path'),
  prompt: z.string().min(1),
  resumeToken: z.string().min(1).max(500).nullish(),
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/, 'variable names are upper-case words'), z.string().max(4096)).optional(),
  readOnly: z.boolean().optional(),
});

export function createAdapterRegistry(opts: AdapterRegistryOptions): AdapterRegistry {
  const parsed = AdaptersConfigSchema.safeParse(opts.config);
  if (!parsed.success) throw new AdapterError('INVALID_ADAPTER_CONFIG', z.prettifyError(parsed.error));
  const config = parsed.data;
  const adapters = opts.adapters ?? ADAPTERS;
  const byId = new Map(adapters.map((a) => [a.id, a]));
  const now = opts.now ?? (() => new Date());
  const sandbox = opts.sandbox ?? createSandbox({ mode: 'bubblewrap' }, opts.env, opts.logger);
  const box = sandbox.status();
  const sandboxOf = (id: string): AdapterStatus['sandbox'] => ({
    mode: box.mode, network: configFor(id).network, limits: box.limits.enforcement, warning: box.warning,
  });
  /** Credentials resolved from `envFrom` at the last handshake, per adapter; memory only. */
  const resolvedEnv = new Map<string, Record<string, string>>();
  const configFor = (id: string): AdapterConfig => {
    const base = config.adapters[id] ?? AdapterConfigSchema.parse({});
    const secrets = resolvedEnv.get(id);
    return secrets ? { ...base, env: { ...base.env, ...secrets } } : base;
  };
  const redactor = createRedactor({
    env: opts.env,
    extra: [...Object.values(config.adapters).flatMap((c) => Object.values(c.env)), ...(opts.extraSecrets ?? [])],
  });

  const current = new Map<string, AdapterStatus>();
  /** Adapters whose own handshake passed but which the missing sandbox keeps from running. */
  const blockedBySandbox = new Set<string>();
  /** Settles when the adapter's first handshake has ended (its status is no longer `checking`). */
  const firstCheck = new Map<string, { done: Promise<void>; resolve: () => void }>();
  for (const a of adapters) {
    current.set(a.id, { id: a.id, status: 'checking', reason: 'checking the CLI (start-up)', descriptor: a.descriptor(configFor(a.id), null), binPath: null, checkedAt: now().toISOString(), sandbox: sandboxOf(a.id) });
    let resolve = (): void => undefined;
    const done = new Promise<void>((r) => (resolve = r));
    firstCheck.set(a.id, { done, resolve });
  }
  let inFlight: Promise<AdapterStatus[]> | null = null;

  const get = (id: string): AdapterStatus | undefined => current.get(id);
  const statuses = (): AdapterStatus[] => adapters.map((a) => current.get(a.id)).filter((s): s is AdapterStatus => s !== undefined);
  const unavailableReason = (id: string): string | null => {
    const s = get(id);
    if (!s) return 'unknown adapter';
    // No id prefix: callers write "`${id} is ${reason}`".
    return s.status === 'available' ? null : `${s.status}: ${s.reason ?? 'no reason given'}`;
  };

  const checkOne = async (adapter: AgentAdapter): Promise<AdapterStatus> => {
    const refs = config.adapters[adapter.id]?.envFrom ?? {};
    if (Object.keys(refs).length > 0) {
      try {
        if (!opts.resolveSecrets) throw new Error('this runtime cannot resolve secret references');
        const values = await opts.resolveSecrets(refs);
        redactor.add(Object.values(values));
        resolvedEnv.set(adapter.id, values);
      } catch (err) {
        // A credential that cannot be read leaves the agent signed out, with the reference named.
        resolvedEnv.delete(adapter.id);
        return { id: adapter.id, status: 'unauthenticated', reason: `credentials unavailable: ${(err as Error).message}`, descriptor: adapter.descriptor(configFor(adapter.id), null), binPath: null, checkedAt: now().toISOString(), sandbox: sandboxOf(adapter.id) };
      }
    }
    try {
      const found = await handshake({ adapter, config: configFor(adapter.id), env: opts.env, projectRoot: opts.projectRoot, now,
        ...(opts.versionTimeoutMs === undefined ? {} : { versionTimeoutMs: opts.versionTimeoutMs }) });
      return { ...found, sandbox: sandboxOf(adapter.id) };
    } catch (err) {
      return { id: adapter.id, status: 'incompatible', reason: `handshake failed: ${String(err)}`, descriptor: adapter.descriptor(configFor(adapter.id), null), binPath: null, checkedAt: now().toISOString(), sandbox: sandboxOf(adapter.id) };
    }
  };
  /** Each adapter's result counts as soon as it is known: `command` need not wait for slow CLIs. */
  const apply = (found: AdapterStatus): void => {
    // Without a working sandbox nothing is dispatched: the reason names the package to install.
    const s: AdapterStatus = box.ready || found.status !== 'available' ? found : { ...found, status: 'missing', reason: box.reason };
    if (s !== found) blockedBySandbox.add(s.id); else blockedBySandbox.delete(s.id);

    const safe = redactor.value(s);
    current.set(s.id, safe);
    firstCheck.get(s.id)?.resolve();
    opts.logger?.info({ adapter: s.id, status: s.status, reason: safe.reason, version: s.descriptor.cliVersion }, 'adapter handshake');
  };

  const handshakeAll = (): Promise<AdapterStatus[]> => {
    inFlight ??= Promise.all(adapters.map(async (adapter) => apply(await checkOne(adapter))))
      .then(() => statuses())
      .finally(() => (inFlight = null));
    return inFlight;
  };

  return {
    redactor,
    sandbox: () => box,
    handshakeAll,
    isChecking: (id) => get(id)?.status === 'checking',
    async checked(ids) {
      // Nobody started the first handshake: start it rather than wait forever.
      if (inFlight === null && statuses().some((s) => s.status === 'checking')) void handshakeAll();
      await Promise.all((ids ?? adapters.map((a) => a.id)).map((id) => firstCheck.get(id)?.done));
    },
    statuses,
    order: () => config.order.filter((id) => byId.has(id)),
    isAvailable: (id) => get(id)?.status === 'available',
    unavailableReason,
    run(id, runOpts) {
      const adapter = byId.get(id);
      if (!adapter) throw new AdapterError('UNKNOWN_ADAPTER', `unknown adapter ${id}`, { id, known: [...byId.keys()] });
      if (blockedBySandbox.has(id)) throw new AdapterError('SANDBOX_UNAVAILABLE', box.reason ?? 'the sandbox is not available', { id, package: 'bubblewrap' });
      const status = get(id);
      if (!status || status.status !== 'available' || status.binPath === null) {
        throw new AdapterError('ADAPTER_UNAVAILABLE', `${id} is ${unavailableReason(id) ?? 'not available'}`, { id, status: status?.status ?? null, reason: status?.reason ?? null });
      }
      const valid = RunOptionsSchema.safeParse(runOpts);
      if (!valid.success) throw new AdapterError('INVALID_RUN_OPTIONS', z.prettifyError(valid.error), { id });
      if (runOpts.readOnly && !adapter.readOnlyMode) throw new AdapterError('INVALID_RUN_OPTIONS', `${id} has no read-only mode`, { id });
      const cfg = configFor(id);
      const built = adapter.buildCommand(runOpts, cfg, { bin: status.binPath, env: opts.env, sandboxed: box.mode === 'bubblewrap' });
      const command = runOpts.env ? { ...built, env: { ...built.env, ...runOpts.env } } : built;
      // Linux limits one argv element to 128 KiB (E2BIG): say so before spawning. The CLIs get the
      // prompt on stdin; the `command` adapter's `sh -c <prompt>` cannot.
      const tooLong = command.args.find((a) => Buffer.byteLength(a) >= MAX_ARG_BYTES);
      if (tooLong !== undefined) {
        throw new AdapterError('INVALID_RUN_OPTIONS', `an argument of ${Buffer.byteLength(tooLong)} bytes is over the ${MAX_ARG_BYTES - 1}-byte limit of one command-line argument${tooLong === runOpts.prompt ? ' (the prompt)' : ''}`, { id });
      }
      opts.logger?.info({ adapter: id, runId: runOpts.runId, cwd: runOpts.cwd, resume: Boolean(runOpts.resumeToken), sandbox: box.mode }, 'agent run starting');
      let boxed: SandboxedCommand;
      try {
        boxed = sandbox.wrap({
          runKey: `${id}-${runOpts.runId}`, command, network: cfg.network === 'on', readOnly: runOpts.readOnly === true,
          stateDirs: ensureStateDirs(adapter.stateDirs?.(command.env) ?? []),
        });
      } catch (err) {
        const e = err as { code?: string; message?: string };
        throw new AdapterError('SANDBOX_UNAVAILABLE', e.message ?? String(err), { id, cause: e.code ?? null });
      }
      const run = spawnRun({
        runId: runOpts.runId, command: boxed.command, parser: adapter.createParser(runOpts), classifyExit: (e) => adapter.classifyExit(e),
        timeoutMs: cfg.timeoutMs, killGraceMs: opts.killGraceMs ?? 5_000, cliVersion: status.descriptor.cliVersion,
        redactor, now, signal: runOpts.signal, logger: opts.logger, maxOutputBytes: cfg.maxOutputBytes,
        release: boxed.release, setupFailure: boxed.setupFailure, contained: boxed.contained, sandboxFailure: adapter.sandboxFailure ? (events) => adapter.sandboxFailure!(events) : undefined,
      });
      void run.done.then((o) => {
        // A 401 at run time is the surest sign of a missing login: stop dispatching until refreshed.
        if (o.error?.code === 'AGENT_AUTH') {
          const prev = get(id);
          if (prev) current.set(id, { ...prev, status: 'unauthenticated', reason: o.error.message.slice(0, 500), checkedAt: now().toISOString() });
        }
      });
      return run;
    },
  };
}
