/**
 * The slice of isomorphic-git the merge needs, bound to one fs/gitdir/cache (one unit of work).
 * Only object reads and writes: nothing here can touch refs, the index or a work tree.
 */
import git from 'isomorphic-git';
import { createHash, randomBytes } from 'node:crypto';
import type * as NodeFs from 'node:fs';
import { deflateSync } from 'node:zlib';
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
  const writer = looseObjectWriter(fs, gitdir, cache);
  const readFs = readOptimisedFs(fs, gitdir, cache);
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
  return {
    async readTree(oid) {
      const known = trees.get(oid);
      if (known) return known;
      const { tree } = await wrap(oid, () => git.readTree({ fs: readFs, gitdir, oid, cache }));
      const map = new Map<string, Entry>();
      for (const e of tree) map.set(e.path, { mode: normaliseMode(e.mode), oid: e.oid, type: e.type });
      trees.set(oid, map);
      return map;
    },
    async readBlob(oid) {
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
      const { commit } = await wrap(oid, () => git.readCommit({ fs: readFs, gitdir, oid, cache }));
      return commit.tree;
    },
    async commitTime(oid) {
      const { commit } = await wrap(oid, () => git.readCommit({ fs: readFs, gitdir, oid, cache }));
      return commit.committer.timestamp;
    },
    async mergeBases(a, b) {
      return wrap(`${a}..${b}`, () => git.findMergeBase({ fs: readFs, gitdir, oids: [a, b], cache })) as Promise<string[]>;
    },
  };
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

function looseObjectWriter(fs: typeof NodeFs, gitdir: string, cache: object): { write(type: 'blob' | 'tree', content: Uint8Array): Promise<string> } {
  // Fan-out directories known to exist, shared by the merges of one unit of work.
  const holder = cache as { [FANOUT_DIRS]?: Map<string, Promise<unknown>> };
  const dirs = (holder[FANOUT_DIRS] ??= new Map<string, Promise<unknown>>());
  return {
    async write(type, content) {
      const raw = Buffer.concat([Buffer.from(`${type} ${content.byteLength}\0`), content]);
      const oid = createHash('sha1').update(raw).digest('hex');
      const dir = `${gitdir}/objects/${oid.slice(0, 2)}`;
      const file = `${dir}/${oid.slice(2)}`;
      let made = dirs.get(dir);
      if (!made) {
        made = fs.promises.mkdir(dir, { recursive: true });
        dirs.set(dir, made);
      }
      await made;
      const tmp = `${dir}/tmp_obj_${randomBytes(6).toString('hex')}`;
      await fs.promises.writeFile(tmp, deflateSync(raw), { mode: 0o444 });
      await fs.promises.rename(tmp, file);
      return oid;
    },
  };
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
