import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestClient, connect, synced, waitFor } from './sync-harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];

async function spawnServer(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/sync-child-server.ts', dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child did not start: ${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
  return { child, port };
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) await kill9(child);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('sync: durability across kill -9', () => {
  it('loses no acknowledged shared-document content nor acknowledged projection', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'thalogos-sync-crash-'));
    dirs.push(dir);
    const first = await spawnServer(dir);
    const url = `ws://127.0.0.1:${first.port}/sync`;

    const writers = Array.from({ length: 4 }, () => connect(url, 'session/s1/shared', 'tok-operator'));
    clients.push(...writers);
    await Promise.all(writers.map(synced));
    const pushed = writers.map(() => 0);
    const acked = writers.map(() => 0);
    writers.forEach((w, k) => {
      // Every change sent before the counter reached 0 was applied by the server, i.e. acknowledged.
      w.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
        if (number === 0) acked[k] = pushed[k]!;
      });
    });
    const write = (k: number) => {
      const w = writers[k]!;
      const i = pushed[k]!;
      w.doc.transact(() => {
        w.doc.getArray('chat').push([{ id: `w${k}-${i}`, userId: 'u-op', name: 'Oli', text: `message ${i}`, at: 'x' }]);
        w.doc.getText('memory').insert(0, `<w${k}-${i}>`);
      });
      pushed[k] = i + 1;
    };
    const timers = writers.map((_, k) => setInterval(() => write(k), 2));

    // Projections through the child's HTTP route: a 200 means projectSession resolved.
    let lastAckedTitle = '';
    for (let n = 0; n < 10; n++) {
      const title = `view ${n}`;
      const response = await fetch(`http://127.0.0.1:${first.port}/test/project/s1`, {
        method: 'POST',
        body: JSON.stringify({ id: 's1', title, status: 'running', tasks: [{ id: 't1', status: 'running' }] }),
      });
      expect(response.status).toBe(200);
      lastAckedTitle = title;
    }
    await waitFor(() => acked.every((a) => a >= 50), 'every writer has acknowledged writes', 20_000);

    for (const t of timers) clearInterval(t);
    // One more write each, then SIGKILL in the same tick: these are surely unacknowledged, and the
    // snapshot of what was acknowledged is taken before any later frame can be read.
    writers.forEach((_, k) => write(k));
    const exited = kill9(first.child);
    const ackedAtKill = [...acked];
    await exited;
    for (const c of clients.splice(0)) c.destroy();
    expect(pushed.every((p, k) => p > ackedAtKill[k]!)).toBe(true);

    const second = await spawnServer(dir);
    const reader = connect(`ws://127.0.0.1:${second.port}/sync`, 'session/s1/shared', 'tok-viewer');
    const stateReader = connect(`ws://127.0.0.1:${second.port}/sync`, 'session/s1/state', 'tok-viewer');
    clients.push(reader, stateReader);
    await Promise.all([synced(reader), synced(stateReader)]);

    const ids = new Set((reader.doc.getArray('chat').toJSON() as Array<{ id: string }>).map((m) => m.id));
    const memory = reader.doc.getText('memory').toString();
    let checked = 0;
    ackedAtKill.forEach((count, k) => {
      for (let i = 0; i < count; i++) {
        expect(ids.has(`w${k}-${i}`)).toBe(true);
        expect(memory).toContain(`<w${k}-${i}>`);
        checked++;
      }
    });
    expect(checked).toBeGreaterThanOrEqual(200);
    expect(stateReader.doc.getMap('session').get('title')).toBe(lastAckedTitle);
  });
});
