import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

/** One run's view of the machine, in the terms bubblewrap builds it from. */
export interface SandboxLayout {
  /** The task's worktree: writable, and the working directory. */
  cwd: string;
  /**
   * Hidden entirely: an empty read-only tmpfs over a directory; over a file /dev/null, which the
   * sandbox cannot open (bwrap mounts it nodev). The data dir, the config file, the signing key.
   */
  hide: string[];
  /** Bound read-only after hiding (a repository's gitdir inside the data dir stays readable). */
  readOnly: string[];
  /** Bound writable: the CLI's own state dirs (CODEX_HOME, ~/.claude, ~/.gemini). */
  writable: string[];
  /** Bound writable from elsewhere, after everything else (the scratch git admin dir and objects). */
  overlays: Array<{ source: string; dest: string }>;
  network: boolean;
  /** Bind the working directory read-only (a planning run). */
  cwdReadOnly?: boolean;
  /** Size of the private /tmp (tmpfs pages count against the memory limit too). */
  tmpBytes: number;
  /** Per-process address space cap, used when no cgroup limits the run's memory. */
  addressSpaceBytes: number | null;
}

/**
 * Sockets a read-only bind does not protect (connect(2) on a socket file is allowed on a
 * read-only mount): container engines' control sockets would be a root shell on the host.
 */
const HOST_SOCKETS = ['/run/docker.sock', '/var/run/docker.sock', '/run/containerd', '/run/podman', '/run/crio'];

/**
 * The bwrap argv (without the binary) that runs `inner` inside the layout. Order matters: bwrap
 * applies the operations in sequence, so the whole system is bound read-only first, the secret
 * places are covered next, then what the run needs is bound back on top.
 */
export function bwrapArgs(layout: SandboxLayout, inner: readonly string[]): string[] {
  const args = [
    // Own pid, ipc, uts, mount, cgroup (and user) namespaces; the server's processes are not in
    // this pid namespace, so /proc/<server>/environ does not exist in here.
    '--unshare-all',
    ...(layout.network ? ['--share-net'] : []),
    // A run never outlives the server: if it dies (even kill -9) the kernel kills the sandbox.
    '--die-with-parent',
    // No TIOCSTI into a terminal the server may hold.
    '--new-session',
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--size', String(layout.tmpBytes), '--tmpfs', '/tmp',
    '--tmpfs', '/dev/shm',
  ];
  const hiddenDirs: string[] = [];
  for (const path of [...layout.hide, ...HOST_SOCKETS]) {
    if (isUnder('/tmp', path)) continue; // the private /tmp already hides it
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) hiddenDirs.push(path);
    args.push(...(statSync(path).isDirectory() ? ['--tmpfs', path] : ['--ro-bind', '/dev/null', path]));
  }
  for (const path of layout.readOnly) if (existsSync(path)) args.push('--ro-bind', path, path);
  for (const path of layout.writable) if (existsSync(path)) args.push('--bind', path, path);
  args.push(layout.cwdReadOnly ? '--ro-bind' : '--bind', layout.cwd, layout.cwd);
  // The repository's own .git inside the worktree (a main worktree) goes back on top, read-only.
  for (const path of layout.readOnly) if (isUnder(layout.cwd, path) && existsSync(path)) args.push('--ro-bind', path, path);
  for (const o of layout.overlays) args.push('--bind', o.source, o.dest);
  // The empty tmpfs over a hidden dir becomes read-only once the binds inside it exist (the
  // remount is not recursive): nothing can be dropped there for the real dir's owner to find.
  for (const path of hiddenDirs) args.push('--remount-ro', path);
  args.push('--chdir', layout.cwd, '--');
  if (layout.addressSpaceBytes !== null) args.push('prlimit', `--as=${layout.addressSpaceBytes}`, '--');
  args.push(...inner);
  return args;
}

function isUnder(parent: string, path: string): boolean {
  const p = resolve(path);
  const root = resolve(parent);
  return p === root || p.startsWith(`${root}/`);
}
