import { spawn } from 'node:child_process';
import type { AdapterConfig } from './adapter-config.js';
import type { AgentAdapter } from './agent-adapter.js';
import { lookupBinary } from './binary-lookup.js';
import type { AdapterStatus } from './capability.js';
import { buildChildEnv } from './child-env.js';

export interface HandshakeOptions {
  adapter: AgentAdapter;
  config: AdapterConfig;
  env: NodeJS.ProcessEnv;
  projectRoot: string;
  now: () => Date;
  /** For `--version`; these CLIs boot slowly on small machines. */
  versionTimeoutMs?: number;
}

/** Finds the binary, reads its version and reports whether the router may dispatch to it. */
export async function handshake(opts: HandshakeOptions): Promise<Omit<AdapterStatus, 'sandbox'>> {
  const { adapter, config } = opts;
  const checkedAt = opts.now().toISOString();
  const status = (s: AdapterStatus['status'], reason: string | null, binPath: string | null, version: string | null): Omit<AdapterStatus, 'sandbox'> =>
    ({ id: adapter.id, status: s, reason, descriptor: adapter.descriptor(config, version), binPath, checkedAt });

  if (!config.enabled) return status('disabled', 'disabled in configuration', null, null);
  const found = await lookupBinary({ name: adapter.defaultBin, configured: config.bin, projectRoot: opts.projectRoot, env: opts.env });
  if (!found.found) return status('missing', found.reason, null, null);

  const env = buildChildEnv(opts.env, config.env);
  if (adapter.versionArgs === null) return status('available', null, found.path, null);
  const v = await readVersion(found.path, adapter.versionArgs, env, opts.versionTimeoutMs ?? 20_000);
  if (!v.ok) return status('incompatible', `\`${adapter.defaultBin} ${adapter.versionArgs.join(' ')}\` failed: ${v.reason}`, found.path, null);
  const version = adapter.parseVersion(v.stdout);
  if (version === null) return status('incompatible', `unrecognised version output: ${v.stdout.trim().slice(0, 200)}`, found.path, null);
  if (adapter.minVersion !== null && compareVersions(version, adapter.minVersion) < 0) {
    return status('incompatible', `version ${version} is older than ${adapter.minVersion}`, found.path, version);
  }
  const unauth = adapter.detectUnauthenticated?.({ env, config }) ?? null;
  if (unauth !== null) return status('unauthenticated', unauth, found.path, version);
  return status('available', null, found.path, version);
}

type VersionResult = { ok: true; stdout: string } | { ok: false; reason: string };

function readVersion(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<VersionResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (r: VersionResult): void => { if (!settled) { settled = true; clearTimeout(timer); resolve(r); } };
    // Own process group and closed stdin, like a run: a CLI that waits on stdin must not hang start-up.
    const child = spawn(bin, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      done({ ok: false, reason: `timed out after ${timeoutMs} ms` });
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => { if (stdout.length < 65_536) stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { if (stderr.length < 65_536) stderr += c.toString('utf8'); });
    child.on('error', (err) => done({ ok: false, reason: err.message }));
    child.on('close', (code, signal) => {
      if (code === 0) done({ ok: true, stdout });
      else done({ ok: false, reason: `exit ${String(code ?? signal)}: ${(stderr || stdout).trim().slice(-300)}` });
    });
  });
}

/** Numeric comparison of dotted versions (pre-release suffixes ignored). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => Number.parseInt(x, 10));
  const pb = b.split(/[.+-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < 3; i++) {
    const x = Number.isFinite(pa[i]) ? (pa[i] as number) : 0;
    const y = Number.isFinite(pb[i]) ? (pb[i] as number) : 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The first `x.y.z` in a version banner (`codex-cli 0.169.0`, `2.1.197 (Claude Code)`). */
export function firstSemver(stdout: string): string | null {
  return /(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)/.exec(stdout)?.[1] ?? null;
}
