/**
 * Reader of git's commit-graph file (`objects/info/commit-graph`, format version 1, SHA-1; see
 * git's Documentation/gitformat-commit-graph.txt): for each commit in it, its parents, its
 * topological generation and its committer date, without reading the commit object. The merge
 * base walk (merge-base.ts) uses it the way git does. A split graph (`commit-graphs/` chain), a
 * file it does not understand or a commit missing from the file: the caller reads the commit.
 */
import type * as NodeFs from 'node:fs';

export interface GraphCommit { parents: string[]; generation: number; date: number }

const NO_PARENT = 0x70000000;
const EXTRA_EDGES = 0x80000000;
const LAST_EDGE = 0x80000000;

export class CommitGraph {
  private constructor(
    private readonly buf: Buffer,
    private readonly fanout: number,
    private readonly oids: number,
    private readonly data: number,
    private readonly edges: number,
    private readonly count: number,
  ) {}

  /** The graph of `gitdir`, or null when there is none this reader understands. */
  static async open(fs: typeof NodeFs, gitdir: string): Promise<CommitGraph | null> {
    let buf: Buffer;
    try {
      buf = await fs.promises.readFile(`${gitdir}/objects/info/commit-graph`);
    } catch {
      return null;
    }
    if (buf.length < 8 || buf.toString('latin1', 0, 4) !== 'CGPH' || buf[4] !== 1 || buf[5] !== 1) return null;
    const chunks = buf[6] as number;
    const table = new Map<string, number>();
    for (let i = 0; i < chunks; i++) {
      const at = 8 + i * 12;
      if (at + 12 > buf.length) return null;
      table.set(buf.toString('latin1', at, at + 4), Number(buf.readBigUInt64BE(at + 4)));
    }
    const [fanout, oids, data] = [table.get('OIDF'), table.get('OIDL'), table.get('CDAT')];
    if (fanout === undefined || oids === undefined || data === undefined || fanout + 1024 > buf.length) return null;
    const count = buf.readUInt32BE(fanout + 255 * 4);
    if (oids + count * 20 > buf.length || data + count * 36 > buf.length) return null;
    // Generation 0 means "not computed" (graphs written by very old git): no use for the walk.
    if (count > 0 && buf.readUInt32BE(data + 28) >>> 2 === 0) return null;
    return new CommitGraph(buf, fanout, oids, data, table.get('EDGE') ?? -1, count);
  }

  private position(oid: string): number {
    const first = parseInt(oid.slice(0, 2), 16);
    let lo = first === 0 ? 0 : this.buf.readUInt32BE(this.fanout + (first - 1) * 4);
    let hi = this.buf.readUInt32BE(this.fanout + first * 4);
    const key = Buffer.from(oid, 'hex');
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.buf.compare(key, 0, 20, this.oids + mid * 20, this.oids + mid * 20 + 20);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  private oidAt(pos: number): string {
    return this.buf.toString('hex', this.oids + pos * 20, this.oids + pos * 20 + 20);
  }

  /** The commit's graph data, or null when it is not in the graph. */
  lookup(oid: string): GraphCommit | null {
    const pos = this.position(oid);
    if (pos < 0) return null;
    const at = this.data + pos * 36 + 20;
    const p1 = this.buf.readUInt32BE(at);
    const p2 = this.buf.readUInt32BE(at + 4);
    const high = this.buf.readUInt32BE(at + 8);
    const low = this.buf.readUInt32BE(at + 12);
    const parents: string[] = [];
    if (p1 !== NO_PARENT) parents.push(this.oidAt(p1));
    if (p2 !== NO_PARENT) {
      if ((p2 & EXTRA_EDGES) === 0) parents.push(this.oidAt(p2));
      else {
        if (this.edges < 0) return null;
        for (let e = p2 & 0x7fffffff; ; e++) {
          const v = this.buf.readUInt32BE(this.edges + e * 4);
          parents.push(this.oidAt(v & 0x7fffffff));
          if (v & LAST_EDGE) break;
        }
      }
    }
    // Generation: the top 30 bits; committer date: the low 34 bits.
    return { parents, generation: high >>> 2, date: (high & 3) * 2 ** 32 + low };
  }
}
