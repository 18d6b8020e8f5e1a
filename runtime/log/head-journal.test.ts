import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HeadJournal, HeadJournalError } from './head-journal.js';

const hash = (n: number) => n.toString(16).padStart(64, '0');

describe('HeadJournal', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'thalogos-journal-'));
    file = path.join(dir, 'log-head.journal');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends records that the next open reads back, the last one cheaply', async () => {
    const journal = await HeadJournal.open(file);
    expect(journal.created).toBe(true);
    expect(await journal.last()).toBeNull();
    await journal.append({ seq: 1, hash: hash(1) });
    await journal.append({ seq: 3, hash: hash(3) });
    await journal.close();
    const reopened = await HeadJournal.open(file);
    expect(reopened.created).toBe(false);
    expect(await reopened.last()).toEqual({ seq: 3, hash: hash(3) });
    expect((await reopened.current()).records).toEqual([{ seq: 1, hash: hash(1) }, { seq: 3, hash: hash(3) }]);
    await reopened.close();
  });

  it('cuts off a record torn by a crash, so the next one starts on its own line', async () => {
    const journal = await HeadJournal.open(file);
    await journal.append({ seq: 1, hash: hash(1) });
    await journal.close();
    await appendFile(file, '{"seq":2,"ha');
    const reopened = await HeadJournal.open(file);
    expect(await reopened.last()).toEqual({ seq: 1, hash: hash(1) });
    await reopened.append({ seq: 2, hash: hash(2) });
    await reopened.close();
    expect((await readFile(file, 'utf8')).split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('does not mistake a record being written for damage', async () => {
    const journal = await HeadJournal.open(file);
    await journal.append({ seq: 1, hash: hash(1) });
    await appendFile(file, '{"seq":2,"hash":"00'); // another append's write, caught half-way
    expect(await journal.last()).toEqual({ seq: 1, hash: hash(1) });
    expect((await journal.current()).records).toEqual([{ seq: 1, hash: hash(1) }]);
    await journal.close();
  });

  it('reads from the last anchor on; damaged lines before it are accepted history', async () => {
    const journal = await HeadJournal.open(file);
    await journal.append({ seq: 1, hash: hash(1) });
    await journal.close();
    await appendFile(file, 'garbage\n');
    const reopened = await HeadJournal.open(file);
    await expect(reopened.current()).rejects.toBeInstanceOf(HeadJournalError);
    await reopened.append({ seq: 1, hash: hash(1), anchor: 'repair: journal_corrupt', at: 'now' });
    await reopened.append({ seq: 2, hash: hash(2) });
    const { records, anchors } = await reopened.current();
    expect(records.map((record) => record.seq)).toEqual([1, 2]);
    expect(anchors).toHaveLength(1);
    await reopened.close();
  });

  it('rejects a complete line that is not a head record', async () => {
    await appendFile(file, '{"seq":"x","hash":"nope"}\n');
    const journal = await HeadJournal.open(file);
    await expect(journal.last()).rejects.toMatchObject({ code: 'HEAD_JOURNAL_CORRUPT' });
    await journal.close();
  });
});
