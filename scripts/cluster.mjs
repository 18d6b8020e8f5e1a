#!/usr/bin/env node
// `npm run cluster`: a local cluster to try cluster mode (docs/runbooks/cluster.md) from Debian's
// redis-server and redis-sentinel: a Redis master and its replica (AOF, appendfsync always), three
// Sentinels, and three Thalogos nodes sharing the repositories and worktrees. Ctrl-C stops them all.
//
//   node scripts/cluster.mjs            everything, in the foreground
//   node scripts/cluster.mjs <role>     one process (what the Procfile runs): redis-master,
//                                       redis-replica, sentinel-1..3, node-a..c
//
// Ports are fixed so the Procfile's processes find each other: Redis 6390 (master) and 6391
// (replica), Sentinels 26390-26392, nodes 7421-7423; THALOGOS_CLUSTER_PORT_OFFSET shifts them all.
// State lives in .thalogos-cluster/ of the current directory (remove it to start afresh).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const offset = Number(process.env.THALOGOS_CLUSTER_PORT_OFFSET ?? 0);
if (!Number.isInteger(offset) || offset < -6000 || offset > 50000) {
  console.error(`THALOGOS_CLUSTER_PORT_OFFSET must be an integer, got "${process.env.THALOGOS_CLUSTER_PORT_OFFSET}"`);
  process.exit(2);
}
const state = path.resolve(process.env.THALOGOS_CLUSTER_DIR ?? '.thalogos-cluster');
const MASTER_NAME = 'thalogos';
const ports = {
  master: 6390 + offset,
  replica: 6391 + offset,
  sentinels: [26390, 26391, 26392].map((port) => port + offset),
  nodes: [7421, 7422, 7423].map((port) => port + offset),
};
const NODE_IDS = ['node-a', 'node-b', 'node-c'];

/** One admin token for every node (kept in the state dir, unless THALOGOS_ADMIN_TOKEN is set). */
function adminToken() {
  if (process.env.THALOGOS_ADMIN_TOKEN) return process.env.THALOGOS_ADMIN_TOKEN;
  const file = path.join(state, 'admin-token');
  mkdirSync(state, { recursive: true });
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

function redisArgs(port, dir, replicaOf) {
  mkdirSync(dir, { recursive: true });
  return [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    // Cluster mode's requirement: an acknowledged append is on disk (docs/runbooks/cluster.md).
    '--appendonly', 'yes', '--appendfsync', 'always',
    ...(replicaOf ? ['--replicaof', '127.0.0.1', String(replicaOf)] : []),
  ];
}

function sentinelConfig(index) {
  const dir = path.join(state, `sentinel-${index + 1}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sentinel.conf');
  // Sentinel rewrites its file (it records the current master): written once, kept afterwards.
  if (!existsSync(file)) {
    writeFileSync(file, [
      `port ${ports.sentinels[index]}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${ports.master} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 2000`,
      `sentinel failover-timeout ${MASTER_NAME} 10000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'));
  }
  return [file];
}

function nodeEnv(index) {
  return {
    ...process.env,
    THALOGOS_HOST: '127.0.0.1',
    THALOGOS_PORT: String(ports.nodes[index]),
    THALOGOS_DATA_DIR: path.join(state, NODE_IDS[index]),
    // The shared filesystem: the same repositories and worktrees for every node.
    THALOGOS_REPO_ROOTS: process.env.THALOGOS_REPO_ROOTS ?? process.cwd(),
    THALOGOS_WORKTREE_DIR: path.join(state, 'worktrees'),
    THALOGOS_ADMIN_TOKEN: adminToken(),
    THALOGOS_REDIS_SENTINELS: ports.sentinels.map((port) => `127.0.0.1:${port}`).join(','),
    THALOGOS_REDIS_MASTER: MASTER_NAME,
    THALOGOS_REDIS_WAIT_REPLICAS: process.env.THALOGOS_REDIS_WAIT_REPLICAS ?? '1',
    THALOGOS_NODE_ID: NODE_IDS[index],
    THALOGOS_ADVERTISE_URL: `http://127.0.0.1:${ports.nodes[index]}`,
  };
}

/** The command of each role: [binary, args, env]. */
function role(name) {
  if (name === 'redis-master') return ['redis-server', redisArgs(ports.master, path.join(state, 'redis-master')), process.env];
  if (name === 'redis-replica') return ['redis-server', redisArgs(ports.replica, path.join(state, 'redis-replica'), ports.master), process.env];
  const sentinel = /^sentinel-([123])$/.exec(name);
  if (sentinel) return ['redis-sentinel', sentinelConfig(Number(sentinel[1]) - 1), process.env];
  const node = NODE_IDS.indexOf(name);
  if (node >= 0) return [process.execPath, [path.join(root, 'bin', 'thalogos.mjs'), 'serve'], nodeEnv(node)];
  return null;
}

const ROLES = ['redis-master', 'redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3', ...NODE_IDS];

function start(name, stdio) {
  const [binary, args, env] = role(name);
  // Nodes run from the checkout: from TypeScript sources (no build yet), the git worker threads
  // resolve tsx from the working directory. Their paths are all absolute.
  // `detached` (own process group) when this script runs them all: Ctrl-C reaches only this script,
  // which stops the nodes first (they drain through Redis) and Redis last.
  const child = spawn(binary, args, { cwd: NODE_IDS.includes(name) ? root : process.cwd(), env, stdio, detached: stdio !== 'inherit' });
  child.on('error', (error) => {
    console.error(`${name}: cannot start ${binary}: ${error.message}${error.code === 'ENOENT' ? ' (apt-get install -y redis-server redis-sentinel)' : ''}`);
    process.exitCode = 1;
  });
  return child;
}

function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing answers on 127.0.0.1:${port}`));
        else setTimeout(attempt, 200);
      });
    };
    attempt();
  });
}

const only = process.argv[2];
if (only) {
  // One role in the foreground (Procfile): its signals go to the child, its exit is ours.
  if (!role(only)) {
    console.error(`unknown role "${only}"; one of: ${ROLES.join(', ')}`);
    process.exit(2);
  }
  const child = start(only, 'inherit');
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const children = [];
  let stopping = false;
  const stopAll = async (code) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the cluster (nodes drain first, then Redis)...');
    // Nodes first, so they hand their sessions over cleanly while Redis is still there.
    const order = [...children].reverse();
    for (const { name, child } of order) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
      console.log(`  ${name} stopped (${child.signalCode ?? child.exitCode})`);
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const launch = async (name, port) => {
    const child = start(name, ['ignore', 'pipe', 'pipe']);
    const tail = [];
    const keep = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        // Node warnings and errors are worth seeing; Redis's chatter is not.
        if (name.startsWith('node-') && /"level":(40|50|60)|warn|error/i.test(line) && !/is running|Use the CLI|export THALOGOS|thalogos session list|Data:|Stop with/.test(line)) console.log(`[${name}] ${line}`);
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`${name} exited (${signal ?? code}); last output:\n${tail.join('\n')}`);
      void stopAll(1);
    });
    children.push({ name, child });
    await waitForPort(port, name.startsWith('node-') ? 120_000 : 15_000);
  };
  try {
    mkdirSync(state, { recursive: true });
    await launch('redis-master', ports.master);
    await launch('redis-replica', ports.replica);
    for (let i = 0; i < 3; i += 1) await launch(`sentinel-${i + 1}`, ports.sentinels[i]);
    for (let i = 0; i < 3; i += 1) await launch(NODE_IDS[i], ports.nodes[i]);
  } catch (error) {
    console.error(`the cluster did not start: ${error.message}`);
    await stopAll(1);
  }
  console.log(`
  A Thalogos cluster is running (state in ${state}):
    nodes       ${NODE_IDS.map((id, i) => `${id} http://127.0.0.1:${ports.nodes[i]}/`).join('\n                ')}
    Redis       master 127.0.0.1:${ports.master}, replica 127.0.0.1:${ports.replica} (AOF, appendfsync always)
    Sentinels   ${ports.sentinels.map((port) => `127.0.0.1:${port}`).join(', ')} (master name "${MASTER_NAME}")
    admin token ${adminToken()}

  Any node serves the API and the console; GET /api/cluster shows who owns which session.
  Try a failover: kill -9 a node's pid, or  redis-cli -p ${ports.sentinels[0]} SENTINEL failover ${MASTER_NAME}
  Repositories: under ${process.env.THALOGOS_REPO_ROOTS ?? process.cwd()}.  Stop with Ctrl-C.
`);
}
