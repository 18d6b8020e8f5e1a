// Load for the cluster suites: writers that add small `command` tasks through chosen nodes and
// keep the books a failover test needs (what was acknowledged, when, and what failed how).
import type { ApiResponse } from './api.js';
import type { Cluster } from './cluster-harness.js';

export interface BurstFailure {
  node: string;
  status: number | 'network';
  detail: string;
}

export interface BurstResult {
  /** Task ids answered 202: each must be in the log. */
  acknowledged: string[];
  /** 503 answers that carried `retryable: true` and a Retry-After header: allowed during a failover. */
  retryable503: number;
  /** Everything else: a failure the client could not simply retry. */
  otherFailures: BurstFailure[];
}

export interface Burst {
  acknowledged: string[];
  acknowledgedAfter(time: number): number;
  stop(): Promise<BurstResult>;
}

/** A 503 a client may retry: typed error with retryable true and a Retry-After header. */
export function isRetryable503(response: { status: number; headers: Headers }, body: unknown): boolean {
  const error = (body as { error?: { retryable?: boolean } } | null)?.error;
  return response.status === 503 && error?.retryable === true && /^\d+$/.test(response.headers.get('retry-after') ?? '');
}

/**
 * `writers` loops, each adding tasks through the nodes in `through` (round robin), until stop().
 * Writers go on after a failure (the point is to see every kind of answer during a failover).
 */
export function startBurst(cluster: Cluster, sessionId: string | (() => string), options: { through: number[] | (() => number[]); writers: number; pauseMs?: number }): Burst {
  // Dynamic: a load balancer's rotation (nodes being restarted are taken out first), several sessions.
  const rotation = typeof options.through === 'function' ? options.through : () => options.through as number[];
  const session = typeof sessionId === 'function' ? sessionId : () => sessionId;
  const acknowledged: { id: string; at: number }[] = [];
  const ids: string[] = [];
  const failures: BurstFailure[] = [];
  let retryable = 0;
  let stopped = false;
  const writers = Array.from({ length: options.writers }, async (_, writer) => {
    for (let i = 0; !stopped; i += 1) {
      const through = rotation();
      const node = cluster.nodes[through[(writer + i) % through.length] ?? -1];
      if (!node) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      try {
        const response = await fetch(`${node.url}/api/sessions/${session()}/tasks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${cluster.admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({ agent: 'command', prompt: `echo w${writer}-${i} > burst-${writer}-${i}.txt` }),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await response.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the text for the report
        }
        if (response.status === 202) {
          const id = (body as { id: string }).id;
          acknowledged.push({ id, at: Date.now() });
          ids.push(id);
        } else if (isRetryable503(response, body)) {
          retryable += 1;
          await new Promise((resolve) => setTimeout(resolve, 250));
        } else {
          failures.push({ node: node.id, status: response.status, detail: text.slice(0, 300) });
        }
      } catch (error) {
        failures.push({ node: node.id, status: 'network', detail: (error as Error).message });
      }
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 100));
    }
  });
  return {
    acknowledged: ids,
    acknowledgedAfter: (time) => acknowledged.filter((entry) => entry.at >= time).length,
    async stop() {
      stopped = true;
      await Promise.all(writers);
      return { acknowledged: [...ids], retryable503: retryable, otherFailures: failures };
    },
  };
}

/** The session's owner as GET /api/cluster on node `via` reports it. */
export async function ownerOf(cluster: Cluster, via: number, sessionId: string): Promise<string | null> {
  const response = await cluster.api(via)('GET', '/api/cluster');
  if (response.status !== 200) throw new Error(`GET /api/cluster answered ${response.status}`);
  return (response.body.sessions as { id: string; owner: string | null }[]).find((row) => row.id === sessionId)?.owner ?? null;
}

/** The ids of the session's tasks (its view, served by the owner). */
export async function taskIds(api: (method: string, path: string) => Promise<ApiResponse>, sessionId: string): Promise<Set<string>> {
  const response = await api('GET', `/api/sessions/${sessionId}`);
  if (response.status !== 200) throw new Error(`GET session answered ${response.status}: ${JSON.stringify(response.body)}`);
  return new Set((response.body.tasks as { id: string }[]).map((task) => task.id));
}
