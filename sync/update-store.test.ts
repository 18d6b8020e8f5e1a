import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { UpdateStore } from './update-store.js';

const opened: Array<{ db: Level<string, string>; dir: string }> = [];

async function openDb(dir?: string): Promise<{ db: Level<string, string>; dir: string }> {
  const path = dir ?? (await mkdtemp(join(tmpdir(), 'thalogos-sync-store-')));
  // The parent's value encoding is utf8 on purpose: the store must use its own binary sublevel.
  const db = new Level<string, string>(join(path, 'db'));
  await db.open();
  const handle = { db, dir: path };
  opened.push(handle);
  return handle;
}

afterEach(async () => {
  for (const { db, dir } of opened.splice(0)) {
    if (db.status === 'open') await db.close();
    await rm(dir, { recursive: true, force: true });
  }
});

function edits(count: number): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < count; i++) doc.getArray('a').push([i]);
  return { doc, updates };
}

describe('UpdateStore', () => {
  it('appends concurrently (group commit) and loads the same document back', async () => {
    const { db } = await openDb();
    const store = new UpdateStore(db, { compactEvery: 10_000 });
    const { doc, updates } = edits(300);
    await Promise.all(updates.map((u) => store.append('session/s1/shared', u)));
    const loaded = await store.load('session/s1/shared');
    expect(loaded!.getArray('a').toJSON()).toEqual(doc.getArray('a').toJSON());
    expect(await store.load('session/s2/shared')).toBeNull();
  });

  it('compacts into one record and keeps appending after it, across reopen', async () => {
    const handle = await openDb();
    let store = new UpdateStore(handle.db, { compactEvery: 50 });
    const { doc, updates } = edits(120);
    for (const u of updates.slice(0, 100)) await store.append('session/s1/state', u);
    await store.flush();
    const records = async () => (await handle.db.keys().all()).filter((k) => k.includes('session/s1/state')).length;
    // 100 appends with compaction every 50: at most one merged record plus what came after.
    expect(await records()).toBeLessThanOrEqual(2);
    await handle.db.close();
    const again = await openDb(handle.dir);
    opened.splice(opened.indexOf(handle), 1);
    store = new UpdateStore(again.db, { compactEvery: 50 });
    // A fresh store must continue the sequence, never overwrite the merged record.
    for (const u of updates.slice(100)) await store.append('session/s1/state', u);
    const loaded = await store.load('session/s1/state');
    expect(loaded!.getArray('a').toJSON()).toEqual(doc.getArray('a').toJSON());
  });

  it('release() forgets the log without losing the sequence', async () => {
    const { db } = await openDb();
    const store = new UpdateStore(db);
    const { doc, updates } = edits(6);
    for (const u of updates.slice(0, 3)) await store.append('d/x', u);
    store.release('d/x');
    for (const u of updates.slice(3)) await store.append('d/x', u);
    expect((await store.load('d/x'))!.getArray('a').toJSON()).toEqual(doc.getArray('a').toJSON());
  });
});
