// Fan-out latency of agent events: Thalogos sync (Hocuspocus on the runtime's uWS app, through
// sync/uws-socket-bridge.ts) versus a stock @hocuspocus/server on Node's `ws`, in the same run.
//
//   npx tsx bench/fanout.ts [--clients 50] [--rate 200] [--seconds 4] [--rounds 5]
//
// The server side runs in this process; the 50 Yjs clients run in a child process (so the clients
// do not steal the servers' event loop). Each event carries its send time (timeOrigin + now, which
// is comparable across processes on one machine); each client records now - t on arrival.
// Rounds alternate (ours, stock, ours, stock, ...) so warm-up and drift hit both alike. Each round
// prints both p99s and their ratio; the summary gives the median ratio over the rounds and its
// spread (min-max), since one round's tail swings with whatever else the machine runs.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Server } from '@hocuspocus/server';
import * as Y from 'yjs';

const DOC = 'session/s1/state';
const RUN = 'r1';
const MAX_LINES = 200;

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const now = () => performance.timeOrigin + performance.now();

type ToChild = { cmd: 'connect'; url: string; clients: number; token: string } | { cmd: 'report' } | { cmd: 'exit' };
type FromChild = { kind: 'ready' } | { kind: 'report'; latencies: number[]; expected: number; received: number };

// ---------------------------------------------------------------- client role (child process)
async function clientRole(): Promise<void> {
  const { HocuspocusProvider } = await import('@hocuspocus/provider');
  const { WebSocketPolyfill } = await import('../tests/sync-harness.js');
  let providers: Array<InstanceType<typeof HocuspocusProvider>> = [];
  let latencies: number[] = [];
  let received = 0;
  const send = (message: FromChild) => process.send!(message);

  process.on('message', async (message: ToChild) => {
    if (message.cmd === 'connect') {
      latencies = [];
      received = 0;
      providers = Array.from({ length: message.clients }, () => {
        const doc = new Y.Doc();
        let lastSeq = 0;
        doc.on('update', () => {
          const arrived = now();
          const run = doc.getMap('agents').get(RUN);
          if (!(run instanceof Y.Map)) return;
          const lines = run.get('lines') as Y.Array<{ seq: number; t?: number }>;
          // Walk back from the end over lines not seen yet (at most the few just appended).
          const fresh: Array<{ seq: number; t?: number }> = [];
          for (let i = lines.length - 1; i >= 0; i--) {
            const line = lines.get(i);
            if (line.seq <= lastSeq) break;
            fresh.push(line);
          }
          for (const line of fresh) {
            if (typeof line.t === 'number') latencies.push(arrived - line.t);
            received++;
          }
          if (fresh.length > 0) lastSeq = fresh[0]!.seq;
        });
        return new HocuspocusProvider({ url: message.url, name: DOC, token: message.token, document: doc, WebSocketPolyfill } as never);
      });
      const deadline = Date.now() + 30_000;
      while (!providers.every((p) => p.isSynced)) {
        if (Date.now() > deadline) throw new Error('clients did not sync');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      send({ kind: 'ready' });
    } else if (message.cmd === 'report') {
      for (const p of providers) p.destroy();
      providers = [];
      send({ kind: 'report', latencies, expected: 0, received });
    } else {
      process.exit(0);
    }
  });
}

// ---------------------------------------------------------------- server role (this process)
interface Target {
  label: string;
  url: string;
  token: string;
  /** Appends one agent event (seq, t) and fans it out to every watcher. */
  append(seq: number, t: number): void;
  reset(): Promise<void>;
}

async function oursTarget(): Promise<{ target: Target; close: () => Promise<void> }> {
  const { startSyncServer } = await import('../tests/sync-harness.js');
  const server = await startSyncServer({ sessions: ['s1'], maxAgentLines: MAX_LINES });
  let round = 0;
  return {
    target: {
      label: 'thalogos sync (Hocuspocus on uWS bridge)',
      url: server.url,
      token: 'tok-viewer',
      append(seq, t) {
        server.sync.appendAgentEvent('s1', 't1', RUN, { type: 'message', seq: round * 1_000_000 + seq, at: 'bench', t, text: 'line of agent output' });
      },
      async reset() {
        // A fresh run per round: clients start at lastSeq 0 and see only this round's events.
        round++;
        await server.sync.rebuildState('s1', { id: 's1' }, []);
      },
    },
    close: () => server.close(),
  };
}

async function stockTarget(): Promise<{ target: Target; close: () => Promise<void> }> {
  const server = new Server({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false });
  await server.listen();
  const direct = await server.hocuspocus.openDirectConnection(DOC);
  const doc = () => server.hocuspocus.documents.get(DOC)!;
  let round = 0;
  return {
    target: {
      label: 'stock @hocuspocus/server on ws',
      url: `ws://127.0.0.1:${server.address.port}`,
      token: 'tok-viewer',
      append(seq, t) {
        const d = doc();
        d.transact(() => {
          const agents = d.getMap('agents');
          let run = agents.get(RUN);
          if (!(run instanceof Y.Map)) {
            run = new Y.Map();
            agents.set(RUN, run);
            (run as Y.Map<unknown>).set('lines', new Y.Array());
          }
          const lines = (run as Y.Map<unknown>).get('lines') as Y.Array<unknown>;
          lines.push([{ type: 'message', seq: round * 1_000_000 + seq, at: 'bench', t, text: 'line of agent output' }]);
          if (lines.length > MAX_LINES) lines.delete(0, lines.length - MAX_LINES);
        });
      },
      async reset() {
        round++;
        const d = doc();
        d.transact(() => d.getMap('agents').delete(RUN));
      },
    },
    close: async () => {
      await direct.disconnect();
      await server.destroy();
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const clients = arg('clients', 50);
  const rate = arg('rate', 200);
  const seconds = arg('seconds', 4);
  const rounds = arg('rounds', 5);
  const child = fork(fileURLToPath(import.meta.url), ['--client-role'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const replies: FromChild[] = [];
  const waiters: Array<(m: FromChild) => void> = [];
  child.on('message', (m: FromChild) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else replies.push(m);
  });
  const ask = (message: ToChild) =>
    new Promise<FromChild>((resolve) => {
      waiters.push(resolve);
      child.send(message);
    });

  const ours = await oursTarget();
  const stock = await stockTarget();
  const samples = new Map<string, number[]>();
  /** Per round: p99 of ours and of stock, for the per-round ratio. */
  const roundP99: Array<{ ours: number; stock: number }> = [];
  const counts = new Map<string, { sent: number; received: number }>();

  for (let r = 0; r < rounds; r++) {
    const p99 = { ours: NaN, stock: NaN };
    for (const { target } of [ours, stock]) {
      await target.reset();
      await ask({ cmd: 'connect', url: target.url, clients, token: target.token });
      // Steady rate: a fixed schedule, so a slow tick does not shift every later event.
      const total = Math.round(rate * seconds);
      const elu = performance.eventLoopUtilization();
      const cpu = process.cpuUsage();
      const start = now();
      for (let seq = 1; seq <= total; seq++) {
        const due = start + (seq * 1000) / rate;
        const wait = due - now();
        if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        target.append(seq, now());
      }
      const busy = performance.eventLoopUtilization(elu).utilization;
      const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const report = (await ask({ cmd: 'report' })) as Extract<FromChild, { kind: 'report' }>;
      const roundSorted = [...report.latencies].sort((x, y) => x - y);
      console.log(
        `  round ${r + 1} ${target.label}: p50 ${percentile(roundSorted, 50).toFixed(2)} ms, p99 ${percentile(roundSorted, 99).toFixed(2)} ms, server event loop busy ${(busy * 100).toFixed(0)}%, server cpu ${cpuMs.toFixed(0)} ms`,
      );
      p99[target === ours.target ? 'ours' : 'stock'] = percentile(roundSorted, 99);
      const list = samples.get(target.label) ?? [];
      for (const latency of report.latencies) list.push(latency);
      samples.set(target.label, list);
      const c = counts.get(target.label) ?? { sent: 0, received: 0 };
      c.sent += total * clients;
      c.received += report.received;
      counts.set(target.label, c);
    }
    roundP99.push(p99);
    console.log(`  round ${r + 1} p99 ratio thalogos/stock ${(p99.ours / p99.stock).toFixed(2)}x (target <= 0.5x)`);
  }
  child.send({ cmd: 'exit' } satisfies ToChild);
  await ours.close();
  await stock.close();

  console.log(`fan-out: ${clients} clients on one document, ${rate} agent events/s for ${seconds} s, ${rounds} rounds each (alternating)`);
  const results: Record<string, { p50: number; p99: number }> = {};
  for (const [label, list] of samples) {
    const sorted = [...list].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    results[label] = { p50, p99 };
    const c = counts.get(label)!;
    console.log(`${label.padEnd(44)} p50 ${p50.toFixed(2)} ms   p99 ${p99.toFixed(2)} ms   deliveries ${c.received}/${c.sent}`);
  }
  const [a, b] = Object.values(results);
  if (a && b) {
    console.log(`pooled ratio stock/thalogos: p50 ${(b.p50 / a.p50).toFixed(2)}x   p99 ${(b.p99 / a.p99).toFixed(2)}x   (>1 means the uWS bridge is faster)`);
  }
  const ratios = roundP99.map((p) => p.ours / p.stock).sort((x, y) => x - y);
  const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
  console.log(`p99 per round: thalogos ${roundP99.map((p) => p.ours.toFixed(1)).join(' / ')} ms; stock ${roundP99.map((p) => p.stock.toFixed(1)).join(' / ')} ms`);
  console.log(`p99 ratio thalogos/stock over ${rounds} rounds: median ${percentile(ratios, 50).toFixed(2)}x, spread ${spread(ratios)}x, rounds at or under 0.5x: ${ratios.filter((x) => x <= 0.5).length}/${rounds} (target: median <= 0.5x)`);
}

if (process.argv.includes('--client-role')) void clientRole();
else
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
