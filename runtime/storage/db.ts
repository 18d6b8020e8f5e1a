import type { AbstractSublevel } from 'abstract-level';
import type { Level } from 'level';

/** The runtime's LevelDB: string keys, JSON values, one sublevel per concern. */
export type Db = Level<string, unknown>;
export type JsonSublevel<V> = AbstractSublevel<Db, string | Buffer | Uint8Array, string, V>;

export function jsonSublevel<V>(db: Db, name: string): JsonSublevel<V> {
  return db.sublevel<string, V>(name, { valueEncoding: 'json' });
}

export interface PutOp {
  sublevel: JsonSublevel<any>;
  key: string;
  value: unknown;
}

/**
 * Writes puts across sublevels in one atomic LevelDB batch with fsync (classic-level's `sync`),
 * so an acknowledged write survives kill -9 and power loss. abstract-level's types do not know
 * classic-level's `sync` option, hence the one cast here.
 */
export async function durableBatch(db: Db, puts: PutOp[]): Promise<void> {
  const ops = puts.map((op) => ({ type: 'put' as const, sublevel: op.sublevel, key: op.key, value: op.value }));
  await db.batch(ops as never, { sync: true } as never);
}
