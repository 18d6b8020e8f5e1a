import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { BuiltCommand } from '../agent-adapter.js';
import { bwrapArgs } from './bwrap-args.js';
import { probeBubblewrap } from './bubblewrap-probe.js';
import { createRunCgroup, detectCgroups, sweepCgroups, type CgroupSupport, type Limits } from './cgroup-limits.js';
import { INSTALL_HINT, SandboxError } from './errors.js';
import { gitViewFor, restoreGitLink } from './git-view.js';
import { programRootUnderTmp } from './program-root.js';
import { scratchGit } from './scratch-git.js';

export interface SandboxSettings {
  /** 'bubblewrap' (the default) or 'off': the operator's explicit opt-out in the config file. */
  mode: 'bubblewrap' | 'off';
  /** Paths no run may see: the data dir, the config file, the signing key. */
  hide?: readonly string[];
  /** The bwrap binary; default: `bwrap` on PATH. */
  bwrapPath?: string;
  /**
   * Names this server's run cgroups (the runtime passes its data dir: one server per data dir).
   * At creation, run cgroups a crashed predecessor of the same instance left are emptied and removed.
   */
  instance?: string;
  limits?: Partial<SandboxLimits>;
}

export interface SandboxLimits extends Limits {
  /** Size of the private /tmp. */
  tmpBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 4 * 1024 ** 3,
  pids: 1024,
  tmpBytes: 1024 ** 3,
};

/** What `GET /api/agents` shows about the sandbox. */
export interface SandboxStatus {
  mode: 'bubblewrap' | 'off';
  /** False: agents and gates do not start (see `reason`). Always true when mode is 'off'. */
  ready: boolean;
  reason: string | null;
  bwrapVersion: string | null;
  /** How memory and process counts are limited on this host. */
  limits: { enforcement: 'cgroup-v1' | 'cgroup-v2' | 'rlimit-as' | 'none'; memoryBytes: number; pids: number | null; detail: string | null };
  warning: string | null;
}

export interface SandboxRequest {
  /** Unique per run; names the run's cgroup. */
  runKey: string;
  command: BuiltCommand;
  network: boolean;
  /** The working directory is bound read-only (a planning run): the run can read, not change, it. */
  readOnly?: boolean;
  /** The CLI's own state dirs, bound writable. */
  stateDirs?: readonly string[];
}

export interface SandboxedCommand {
  command: BuiltCommand;
  /**
   * Call once the run's processes are gone: kills what is left in its cgroup, removes it, and
   * puts back a `.git` link the run replaced. Returns what the run tried that it must not have.
   */
  release(): Promise<{ violations: string[] }>;
  /** bubblewrap's own error when it could not set up or start the command (from the stderr tail). */
  setupFailure(stderrTail: string): string | null;
  /**
   * True when no process of the run can outlive the command's leader: bubblewrap runs it in its
   * own pid namespace (`--unshare-all`), whose processes the kernel kills when its init exits,
   * before the leader sees it exit. The process-tree scan after a normal exit is then skipped.
   */
  contained: boolean;
}

export interface Sandbox {
  status(): SandboxStatus;
  /** Throws SandboxError SANDBOX_UNAVAILABLE when bubblewrap is missing (mode 'bubblewrap'). */
  wrap(req: SandboxRequest): SandboxedCommand;
}

export const OFF_WARNING = 'sandbox is off: agents, gates and command tasks run with the server\'s own user, files and processes (they can read its data dir and signal it)';

/**
 * Creates the sandbox once per server: probes bubblewrap and the cgroup support, then wraps each
 * run's command line. See docs/adapters.md ("Sandbox") for what a run can and cannot reach.
 */
export function createSandbox(settings: SandboxSettings, env: NodeJS.ProcessEnv, logger?: Logger): Sandbox {
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...settings.limits };
  const hide = [...(settings.hide ?? [])];
  if (settings.mode === 'off') {
    logger?.warn(OFF_WARNING);
    const status: SandboxStatus = { mode: 'off', ready: true, reason: null, bwrapVersion: null,
      limits: { enforcement: 'none', memoryBytes: 0, pids: null, detail: 'sandbox off' }, warning: OFF_WARNING };
    return { status: () => status, wrap: (req) => ({ command: req.command, release: async () => ({ violations: [] }), setupFailure: () => null, contained: false }) };
  }
  const probe = probeBubblewrap(settings.bwrapPath, env);
  const cgroups: CgroupSupport = probe.ok ? detectCgroups(settings.instance) : { kind: 'none', reason: 'no sandbox' };
  if (settings.instance !== undefined) void sweepCgroups(cgroups);
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p)) ?? null;
  const enforcement = cgroups.kind === 'v1' ? 'cgroup-v1' : cgroups.kind === 'v2' ? 'cgroup-v2' : prlimit ? 'rlimit-as' : 'none';
  const status: SandboxStatus = {
    mode: 'bubblewrap',
    ready: probe.ok,
    reason: probe.ok ? null : probe.reason,
    bwrapVersion: probe.ok ? probe.version : null,
    limits: {
      enforcement, memoryBytes: limits.memoryBytes, pids: cgroups.kind === 'none' ? null : limits.pids,
      detail: cgroups.kind === 'none' ? `${cgroups.reason}: memory capped per process (RLIMIT_AS), process count only by the run's wall time` : null,
    },
    warning: null,
  };
  if (!probe.ok) logger?.error({ reason: probe.reason }, 'no sandbox: agents and gates will not start');
  else if (cgroups.kind === 'none') logger?.warn({ reason: cgroups.reason }, 'sandbox without cgroup limits: a fork bomb is stopped only by the run timeout');

  return {
    status: () => status,
    wrap(req) {
      if (!probe.ok) throw new SandboxError('SANDBOX_UNAVAILABLE', probe.reason, { package: 'bubblewrap', hint: INSTALL_HINT });
      const git = gitViewFor(req.command.cwd);
      const scratch = git.linked === null ? null : scratchGit(git.linked);
      // Unique even when a run id repeats (tests, a retried run): a shared cgroup would let one
      // run's cleanup kill the other's processes.
      const cgroup = createRunCgroup(cgroups, `${req.runKey}-${randomUUID().slice(0, 8)}`, limits);
      const args = bwrapArgs({
        // A CLI installed under /tmp (e.g. a project checked out there) stays visible, read-only.
        cwd: req.command.cwd, hide, readOnly: [...git.readOnly, ...[programRootUnderTmp(req.command.bin)].filter((root): root is string => root !== null)], writable: [...(req.stateDirs ?? [])], overlays: scratch?.binds ?? [], network: req.network, cwdReadOnly: req.readOnly === true,
        tmpBytes: limits.tmpBytes, addressSpaceBytes: cgroup === null && prlimit ? limits.memoryBytes : null,
      }, [req.command.bin, ...req.command.args]);
      // The leader joins the run's cgroup, then becomes bwrap (same pid): nothing the run starts
      // is outside the cgroup, and the pid the runtime records is bubblewrap's.
      const env = { ...req.command.env, ...scratch?.env };
      const command: BuiltCommand = cgroup === null
        ? { ...req.command, env, bin: probe.path, args }
        : { ...req.command, env, bin: '/bin/sh', args: ['-c', `for f in ${cgroup.procsFiles.map(shellQuote).join(' ')}; do echo $$ > "$f" || exit 125; done; exec "$@"`, 'thalogos-sandbox', probe.path, ...args] };
      let released: Promise<{ violations: string[] }> | null = null;
      return {
        command,
        setupFailure: (tail) => /^bwrap: .*$/m.exec(tail)?.[0] ?? null,
        contained: true,
        release: () => {
          released ??= (async () => {
            await cgroup?.release();
            scratch?.remove();
            const v = restoreGitLink(git.link);
            return { violations: v === null ? [] : [v] };
          })();
          return released;
        },
      };
    },
  };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
