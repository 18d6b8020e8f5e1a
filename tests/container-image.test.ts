// The Dockerfile cannot be built here (no base image can be pulled, no Docker daemon): its shape is
// checked, and its HEALTHCHECK command is run for real against a running runtime and a closed port.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config/config.js';
import { startServer, type RunningServer } from '../runtime/server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile.replace(/\\\n\s*(#.*\n\s*)*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
const run = promisify(execFile);

function healthcheckScript(): string {
  const line = instructions.find((l) => l.startsWith('HEALTHCHECK'));
  const m = /CMD node -e "(.*)"$/.exec(line ?? '');
  if (!m?.[1]) throw new Error(`no HEALTHCHECK CMD node -e "..." in the Dockerfile: ${line}`);
  return m[1];
}

describe('the container image', () => {
  let tmp: string;
  let server: RunningServer;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'thalogos-image-'));
    server = await startServer(
      loadConfig({ env: { THALOGOS_ADMIN_TOKEN: 'image-admin-token-0123456789abcdef', THALOGOS_DATA_DIR: path.join(tmp, 'data'), THALOGOS_REPO_ROOTS: tmp, THALOGOS_PORT: '0', THALOGOS_CONFIG: path.join(tmp, 'none.json') }, cwd: tmp }),
      { logger: pino({ level: 'silent' }) },
    );
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('is multi-stage on Node 20 bookworm, runs as a non-root user with git, bubblewrap and tini, and keeps its data on a volume', () => {
    expect(instructions.filter((l) => l.startsWith('FROM')).length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:20-bookworm\n/);
    const user = instructions.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
    expect(instructions).toContain('VOLUME ["/data"]');
    const apt = instructions.find((l) => l.includes('apt-get install')) ?? '';
    for (const pkg of ['git', 'bubblewrap', 'tini', 'ca-certificates']) expect(apt.split(/\s+/)).toContain(pkg);
    expect(instructions).toContain('ENTRYPOINT ["/usr/bin/tini", "--"]');
    expect(instructions).toContain('CMD ["node", "bin/thalogos.mjs", "serve"]');
    expect(dockerfile).toMatch(/THALOGOS_DATA_DIR=\/data/);
    // What the build must not copy in: installed and built output, data, the repository's history.
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', 'web/build', '.thalogos', '.git']) expect(ignored).toContain(entry);
  });

  it('its HEALTHCHECK passes against a running runtime and fails against a closed port', async () => {
    const script = healthcheckScript();
    const healthy = await run(process.execPath, ['-e', script], { env: { ...process.env, THALOGOS_PORT: String(server.port) } });
    expect(healthy.stderr).toBe('');
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    await expect(run(process.execPath, ['-e', script], { env: { ...process.env, THALOGOS_PORT: String(closedPort) } })).rejects.toMatchObject({ code: 1 });
  });
});
