/**
 * The slice of isomorphic-git the merge needs, bound to one fs/gitdir/cache (one unit of work).
 * Only object reads and writes: nothing here can touch refs, the index or a work tree.
 */
import git from 'isomorphic-git';
import { randomBytes } from 'node:crypto';
import { promises as nodeFsPromises } from 'node:fs';
import type * as NodeFs from 'node:fs';
import { deflateSync } from 'node:zlib';
import { frameObject, isSoundLooseObject } from '../loose-object.js';
import { PackCorruptError, PackReader, type GitObject } from '../pack-reader.js';
import { CommitGraph } from './commit-graph.js';
import { GENERATION_INFINITY, mergeBases, type CommitInfo } from './merge-base.js';
import { MergeError } from './merge-error.js';

/** A tree entry; `mode` as git writes it in trees ('100644', '100755', '120000', '160000', '40000'). */
export interface Entry {
  mode: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface ObjectStore {
  readTree(oid: string): Promise<Map<string, Entry>>;
  readBlob(oid: string): Promise<Uint8Array>;
  writeBlob(content: Uint8Array): Promise<string>;
  writeTree(entries: Map<string, Entry>): Promise<string>;
  commitTree(oid: string): Promise<string>;
  commitTime(oid: string): Promise<number>;
  mergeBases(a: string, b: string): Promise<string[]>;
}

/** git writes tree modes without the leading zero; isomorphic-git reports '040000'. */
export function normaliseMode(mode: string): string {
  return mode === '040000' ? '40000' : mode;
}

export function createObjectStore(fs: typeof NodeFs, gitdir: string, cache: object): ObjectStore {
  const trees = new Map<string, Map<string, Entry>>();
  const commits = new Map<string, Promise<ParsedCommit>>();
  const writer = looseObjectWriter(fs, gitdir, cache);
  const readFs = readOptimisedFs(fs, gitdir, cache);
  const native = nativeReaders(fs, gitdir, cache);
  const wrap = async <T>(oid: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'NotFoundError') throw new MergeError('OBJECT_NOT_FOUND', `object ${oid} not found`, { oid });
      if (code === 'ObjectTypeError') throw new MergeError('NOT_A_COMMIT', `object ${oid} is not a commit`, { oid });
      throw error;
    }
  };
  /** The object through the native reader, or null: then isomorphic-git reads it (and reports). */
  const nativeObject = async (oid: string): Promise<GitObject | null> => (await native).packs?.read(oid) ?? null;
  const commit = (oid: string): Promise<ParsedCommit> => {
    let known = commits.get(oid);
    if (!known) {
      known = (async () => {
        const obj = await nativeObject(oid);
        if (obj?.type === 'commit') return parseCommit(obj.content);
        const { commit: c } = await wrap(oid, () => git.readCommit({ fs: readFs, gitdir, oid, cache }));
        return { tree: c.tree, parents: c.parent, date: c.committer.timestamp };
      })();
      commits.set(oid, known);
      known.catch(() => commits.delete(oid));
    }
    return known;
  };
  const commitInfo = async (oid: string): Promise<CommitInfo> => {
    const fromGraph = (await native).graph?.lookup(oid);
    if (fromGraph) return fromGraph;
    const c = await commit(oid);
    return { parents: c.parents, generation: GENERATION_INFINITY, date: c.date };
  };
  return {
    async readTree(oid) {
      const known = trees.get(oid);
      if (known) return known;
      const obj = await nativeObject(oid);
      let map: Map<string, Entry>;
      if (obj?.type === 'tree') map = parseTree(obj.content, oid);
      else {
        const { tree } = await wrap(oid, () => git.readTree({ fs: readFs, gitdir, oid, cache }));
        map = new Map<string, Entry>();
        for (const e of tree) map.set(e.path, { mode: normaliseMode(e.mode), oid: e.oid, type: e.type });
      }
      trees.set(oid, map);
      return map;
    },
    async readBlob(oid) {
      const obj = await nativeObject(oid);
      if (obj?.type === 'blob') return obj.content;
      const { blob } = await wrap(oid, () => git.readBlob({ fs: readFs, gitdir, oid, cache }));
      return blob;
    },
    async writeBlob(content) {
      return writer.write('blob', content);
    },
    async writeTree(entries) {
      return writer.write('tree', encodeTree(entries));
    },
    async commitTree(oid) {
      return (await commit(oid)).tree;
    },
    async commitTime(oid) {
      return (await commit(oid)).date;
    },
    async mergeBases(a, b) {
      return wrap(`${a}..${b}`, () => mergeBases(a, b, commitInfo));
    },
  };
}

interface ParsedCommit { tree: string; parents: string[]; date: number }

/** `tree`, `parent` and the committer's timestamp from a commit object's header. */
function parseCommit(content: Buffer): ParsedCommit {
  const end = content.indexOf('\n\n');
  const header = content.toString('utf8', 0, end < 0 ? content.length : end).split('\n');
  let tree = '';
  const parents: string[] = [];
  let date = 0;
  for (const line of header) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('committer ')) date = Number(line.slice(line.lastIndexOf('>') + 1).trim().split(' ')[0]);
  }
  if (!/^[0-9a-f]{40}$/.test(tree)) throw new MergeError('NOT_A_COMMIT', 'commit object without a tree', {});
  return { tree, parents, date: Number.isFinite(date) ? date : 0 };
}

/**
 * Tree entries as isomorphic-git's readTree gives them (modes limited to git's five, trees as
 * `40000`), read from the raw object.
 */
function parseTree(content: Buffer, oid: string): Map<string, Entry> {
  const map = new Map<string, Entry>();
  let p = 0;
  while (p < content.length) {
    const sp = content.indexOf(0x20, p);
    const nul = content.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 21 > content.length) throw new PackCorruptError(`tree ${oid} is malformed`, { oid });
    const raw = content.toString('latin1', p, sp);
    const name = content.toString('utf8', sp + 1, nul);
    const entryOid = content.toString('hex', nul + 1, nul + 21);
    p = nul + 21;
    let mode: string;
    let type: Entry['type'];
    if (/^0?4/.test(raw)) { mode = '40000'; type = 'tree'; }
    else if (/^1006/.test(raw)) { mode = '100644'; type = 'blob'; }
    else if (/^1007/.test(raw)) { mode = '100755'; type = 'blob'; }
    else if (/^120/.test(raw)) { mode = '120000'; type = 'blob'; }
    else if (/^160/.test(raw)) { mode = '160000'; type = 'commit'; }
    else throw new PackCorruptError(`tree ${oid} has an entry with mode ${raw}`, { oid });
    map.set(name, { mode, oid: entryOid, type });
  }
  return map;
}

/**
 * The native readers of one unit of work, kept on the caller's cache object: the pack reader
 * (positional: a merge reads few objects of possibly large packs) and the commit-graph.
 */
const NATIVE = Symbol.for('thalogos.merge.nativeReaders');

interface NativeReaders { packs: PackReader | null; graph: CommitGraph | null }

function nativeReaders(fs: typeof NodeFs, gitdir: string, cache: object): Promise<NativeReaders> {
  const holder = cache as { [NATIVE]?: Promise<NativeReaders> };
  holder[NATIVE] ??= (async () => {
    // The reader works on node:fs paths; a caller's custom fs (tests, wrappers) keeps the
    // isomorphic-git path only.
    const plain = fs.promises === nodeFsPromises;
    const [packs, graph] = await Promise.all([
      plain ? PackReader.open(gitdir, { positional: true }).catch(() => null) : null,
      CommitGraph.open(fs, gitdir).catch(() => null),
    ]);
    return { packs, graph };
  })();
  return holder[NATIVE];
}

/**
 * A tree object exactly as git writes it: entries ordered by the bytes of their names, a
 * directory compared as if its name ended in '/', modes without a leading zero.
 */
export function encodeTree(entries: Map<string, Entry>): Buffer {
  const rows = [...entries].map(([name, e]) => {
    const nameBytes = Buffer.from(name, 'utf8');
    return { key: e.type === 'tree' ? Buffer.concat([nameBytes, Buffer.from('/')]) : nameBytes, nameBytes, e };
  });
  rows.sort((x, y) => Buffer.compare(x.key, y.key));
  return Buffer.concat(rows.flatMap(({ nameBytes, e }) => [
    Buffer.from(`${normaliseMode(e.mode)} `), nameBytes, Buffer.from([0]), Buffer.from(e.oid, 'hex'),
  ]));
}

/**
 * Writes loose objects like git: zlib-deflated `type size\0content` at objects/xx/yyyy, via a
 * temporary file and a rename so that a concurrent reader never sees half an object. Content
 * addressed, so rewriting an existing object is harmless. (isomorphic-git's writeTree would
 * order names by UTF-16 code units and re-discover the gitdir on every call.)
 */
const FANOUT_DIRS = Symbol.for('thalogos.merge.fanoutDirs');

/**
 * A caller that needs the merge's objects durable (a Save, before refs move) puts an array under
 * this key of its cache; every object file the merge writes is listed there for it to fsync.
 */
export const WRITTEN_OBJECTS = Symbol.for('thalogos.merge.writtenObjects');

function looseObjectWriter(fs: typeof NodeFs, gitdir: string, cache: object): { write(type: 'blob' | 'tree', content: Uint8Array): Promise<string> } {
  // Fan-out directories known to exist, shared by the merges of one unit of work.
  const holder = cache as { [FANOUT_DIRS]?: Map<string, Promise<unknown>> };
  const dirs = (holder[FANOUT_DIRS] ??= new Map<string, Promise<unknown>>());
  const written = (cache as { [WRITTEN_OBJECTS]?: string[] })[WRITTEN_OBJECTS];
  // With node's own fs the writes are synchronous: merges run on a pool worker (never the
  // server's event loop), and a merge writes a few hundred small objects, each of which cost
  // four or five thread-pool hops (open, write, close, rename) when asynchronous: on a loaded
  // machine those hops, not the syscalls, were most of a Save's wall time.
  const sync = fs.promises === nodeFsPromises;
  return {
    async write(type, content) {
      const { raw, oid } = frameObject(type, content);
      const dir = `${gitdir}/objects/${oid.slice(0, 2)}`;
      const file = `${dir}/${oid.slice(2)}`;
      const tmp = `${dir}/tmp_obj_${randomBytes(6).toString('hex')}`;
      if (sync) {
        // As git does, an object already present is not written again: renaming over an
        // existing file cost milliseconds each on a busy ext4 (a Save retried after a gate
        // failure rebuilds the very same trees). Present means sound: a file that does not
        // inflate to this oid (cut short by a crash) is replaced.
        if (looseObjectPresent(fs, file, oid)) {
          written?.push(file);
          return oid;
        }
        if (!dirs.has(dir)) { fs.mkdirSync(dir, { recursive: true }); dirs.set(dir, Promise.resolve()); }
        fs.writeFileSync(tmp, deflateSync(raw), { mode: 0o444 });
        fs.renameSync(tmp, file);
      } else {
        let made = dirs.get(dir);
        if (!made) {
          made = fs.promises.mkdir(dir, { recursive: true });
          dirs.set(dir, made);
        }
        await made;
        await fs.promises.writeFile(tmp, deflateSync(raw), { mode: 0o444 });
        await fs.promises.rename(tmp, file);
      }
      written?.push(file);
      return oid;
    },
  };
}

function looseObjectPresent(fs: typeof NodeFs, file: string, oid: string): boolean {
  try {
    return isSoundLooseObject(fs.readFileSync(file), oid);
  } catch {
    return false;
  }
}

/**
 * Which objects live in packs: the object ids of every `objects/pack/*.idx` (version 2), read
 * once per unit of work and kept on the caller's cache object next to isomorphic-git's own.
 */
const PACKED = Symbol.for('thalogos.merge.packedObjects');

async function packedObjects(fs: typeof NodeFs, gitdir: string, cache: object): Promise<{ packs: string[]; oids: Set<string> }> {
  const holder = cache as { [PACKED]?: Promise<{ packs: string[]; oids: Set<string> }> };
  holder[PACKED] ??= (async () => {
    const dir = `${gitdir}/objects/pack`;
    const packs = await fs.promises.readdir(dir).catch(() => [] as string[]);
    const oids = new Set<string>();
    for (const name of packs.filter((n) => n.endsWith('.idx'))) {
      const idx = await fs.promises.readFile(`${dir}/${name}`);
      // v2 index: magic, version, 256 fan-out counts, then the sorted 20-byte object ids.
      if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) continue;
      const count = idx.readUInt32BE(8 + 255 * 4);
      const start = 8 + 256 * 4;
      for (let i = 0; i < count; i++) oids.add(idx.toString('hex', start + i * 20, start + i * 20 + 20));
    }
    return { packs, oids };
  })();
  return holder[PACKED];
}

/**
 * The fs handed to isomorphic-git for reads. isomorphic-git opens the loose object file before
 * looking in the packs and lists objects/pack again for every packed object; on a merge that
 * reads a few hundred packed trees those failed opens and listings were most of the syscalls.
 * Here the loose lookup of a packed object fails without a syscall and the pack directory is
 * listed once per unit of work (an object both loose and packed is then read from its pack).
 */
function readOptimisedFs(fs: typeof NodeFs, gitdir: string, cache: object): typeof NodeFs {
  const base = fs.promises;
  const packDir = `${gitdir}/objects/pack`;
  const objectsPrefix = `${gitdir}/objects/`;
  const promises = {
    ...base,
    readdir: ((path: string, options?: unknown) => {
      if (path === packDir && options === undefined) return packedObjects(fs, gitdir, cache).then((p) => [...p.packs]);
      return (base.readdir as (p: string, o?: unknown) => Promise<unknown>)(path, options);
    }) as typeof base.readdir,
    readFile: (async (path: string, options?: unknown) => {
      if (typeof path === 'string' && path.startsWith(objectsPrefix)) {
        const rel = path.slice(objectsPrefix.length);
        if (/^[0-9a-f]{2}\/[0-9a-f]{38}$/.test(rel) && (await packedObjects(fs, gitdir, cache)).oids.has(rel.replace('/', ''))) {
          throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
        }
      }
      return (base.readFile as (p: unknown, o?: unknown) => Promise<unknown>)(path, options);
    }) as typeof base.readFile,
  };
  return { promises } as unknown as typeof NodeFs;
}
