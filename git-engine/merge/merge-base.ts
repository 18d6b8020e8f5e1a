/**
 * Merge bases the way git computes them (commit-reach.c: paint_down_to_common, then
 * remove_redundant when there are several): a walk from both commits in order of generation,
 * then committer date, newest first, painting each commit with the side(s) it is reachable
 * from, until every commit left in the queue is below a common one. Generation numbers come
 * from the commit-graph (commit-graph.ts) when present, so the walk reads no commit object
 * there; commits outside the graph have an infinite generation and are ordered by date, as in
 * git. Same answer as `git merge-base --all` (order: newest first).
 */
export interface CommitInfo { parents: string[]; generation: number; date: number }
export type CommitSource = (oid: string) => Promise<CommitInfo>;

export const GENERATION_INFINITY = Number.MAX_SAFE_INTEGER;

const PARENT1 = 1;
const PARENT2 = 2;
const STALE = 4;
const RESULT = 8;

interface Node { oid: string; info: CommitInfo; flags: number }

/** A binary heap, highest generation first, then newest date. */
class Queue {
  private readonly items: Node[] = [];
  get size(): number { return this.items.length; }
  private static before(a: Node, b: Node): boolean {
    if (a.info.generation !== b.info.generation) return a.info.generation > b.info.generation;
    return a.info.date > b.info.date;
  }
  put(n: Node): void {
    const h = this.items;
    h.push(n);
    let i = h.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!Queue.before(h[i] as Node, h[up] as Node)) break;
      [h[i], h[up]] = [h[up] as Node, h[i] as Node];
      i = up;
    }
  }
  get(): Node {
    const h = this.items;
    const top = h[0] as Node;
    const last = h.pop() as Node;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < h.length && Queue.before(h[l] as Node, h[best] as Node)) best = l;
        if (r < h.length && Queue.before(h[r] as Node, h[best] as Node)) best = r;
        if (best === i) break;
        [h[i], h[best]] = [h[best] as Node, h[i] as Node];
        i = best;
      }
    }
    return top;
  }
  hasNonStale(): boolean {
    return this.items.some((n) => (n.flags & STALE) === 0);
  }
}

class Walker {
  private readonly nodes = new Map<string, Node>();
  constructor(private readonly source: CommitSource) {}

  async node(oid: string): Promise<Node> {
    let n = this.nodes.get(oid);
    if (!n) {
      n = { oid, info: await this.source(oid), flags: 0 };
      this.nodes.set(oid, n);
    }
    return n;
  }

  clearFlags(): void {
    for (const n of this.nodes.values()) n.flags = 0;
  }

  /** paint_down_to_common: the commits painted with both sides (RESULT), newest first. */
  async paint(one: Node, twos: Node[], minGeneration: number): Promise<Node[]> {
    const queue = new Queue();
    const result: Node[] = [];
    one.flags |= PARENT1;
    if (twos.length === 0) return [one];
    queue.put(one);
    for (const t of twos) { t.flags |= PARENT2; queue.put(t); }
    while (queue.size > 0 && queue.hasNonStale()) {
      const c = queue.get();
      if (c.info.generation < minGeneration) break;
      let flags = c.flags & (PARENT1 | PARENT2 | STALE);
      if (flags === (PARENT1 | PARENT2)) {
        if ((c.flags & RESULT) === 0) { c.flags |= RESULT; result.push(c); }
        // The parents of a found base are below it: stale.
        flags |= STALE;
      }
      for (const p of c.info.parents) {
        const pn = await this.node(p);
        if ((pn.flags & flags) === flags) continue;
        pn.flags |= flags;
        queue.put(pn);
      }
    }
    return result.sort((a, b) => b.info.date - a.info.date);
  }
}

/** `git merge-base --all a b`. */
export async function mergeBases(a: string, b: string, source: CommitSource): Promise<string[]> {
  if (a === b) return [a];
  const w = new Walker(source);
  const one = await w.node(a);
  const two = await w.node(b);
  const painted = await w.paint(one, [two], 0);
  const found = painted.filter((n) => (n.flags & STALE) === 0);
  if (found.length <= 1) return found.map((n) => n.oid);
  // Several: drop those reachable from another (remove_redundant).
  const oids = found.map((n) => n.oid);
  const redundant = new Array<boolean>(oids.length).fill(false);
  for (let i = 0; i < oids.length; i++) {
    if (redundant[i]) continue;
    w.clearFlags();
    const others: Array<{ j: number; node: Node }> = [];
    const self = await w.node(oids[i] as string);
    // No commit below the lowest generation involved can decide anything (git's remove_redundant;
    // the graph is closed under parents, so a commit outside it is never below one inside).
    let minGeneration = self.info.generation;
    for (let j = 0; j < oids.length; j++) {
      if (i === j || redundant[j]) continue;
      const node = await w.node(oids[j] as string);
      others.push({ j, node });
      minGeneration = Math.min(minGeneration, node.info.generation);
    }
    // Without generation numbers git walks to the end (INFINITY < INFINITY is false).
    await w.paint(self, others.map((o) => o.node), minGeneration);
    if (self.flags & PARENT2) redundant[i] = true;
    for (const o of others) if (o.node.flags & PARENT1) redundant[o.j] = true;
  }
  w.clearFlags();
  const kept = oids.filter((_, i) => !redundant[i]);
  const dates = new Map(await Promise.all(kept.map(async (o) => [o, (await w.node(o)).info.date] as const)));
  return kept.sort((x, y) => (dates.get(y) as number) - (dates.get(x) as number));
}
