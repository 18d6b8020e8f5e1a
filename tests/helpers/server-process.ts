import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `thalogos serve` from the TypeScript sources as a real child process. The server listens
 * before its sessions are restored and its agents checked: by default this waits until `/healthz`
 * says `ready`; `{ ready: false }` returns as soon as it answers at all.
 */
export async function startServerProcess(env: Record<string, string>, port?: number, options: { ready?: boolean } = {}): Promise<ServerProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'runtime/cli/run.ts'), 'serve'], {
    cwd: ROOT,
    env: { ...process.env, THALOGOS_HOST: '127.0.0.1', THALOGOS_PORT: String(chosen), THALOGOS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${chosen}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      const health = (await response.json().catch(() => ({}))) as { ready?: boolean };
      if (response.ok && (options.ready === false || health.ready !== false)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer /healthz:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.ready === false ? 10 : 100));
  }
  return {
    child,
    url,
    output: () => output,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
