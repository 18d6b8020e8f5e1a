import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * One line of the head journal: the log head after a group commit, or an anchor that an operator's
 * repair (or the first start on an existing log) set. Records before the last anchor are history:
 * the chain is checked against the records from the last anchor on.
 */
export interface HeadRecord {
  seq: number;
  hash: string;
  /** Set on anchor records: why the head was re-anchored. */
  anchor?: string;
  at?: string;
}

export class HeadJournalError extends Error {
  override readonly name = 'HeadJournalError';
  readonly code = 'HEAD_JOURNAL_CORRUPT';
}

/** How much of the file's end `last()` reads; one record is about 100 bytes. */
const TAIL_BYTES = 64 * 1024;

/**
 * The log head, recorded durably outside LevelDB: an append-only file of JSON lines, one per group
 * commit, each fdatasync'd before the appenders are told their entries are durable. LevelDB can
 * drop a damaged write-ahead-log record on open without failing; this file is how the runtime
 * notices that acknowledged entries went missing, or that the chain was recomputed after an edit.
 */
export class HeadJournal {
  /** Where the next record goes; kept here so an append is one write and one datasync. */
  private size = 0;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    /** True when this open created the file (first start, or the file was removed). */
    readonly created: boolean,
  ) {}

  static async open(file: string): Promise<HeadJournal> {
    let created = false;
    let handle: FileHandle;
    try {
      handle = await open(file, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      handle = await open(file, 'w+');
      created = true;
      // The new name must survive power loss as well as its contents.
      await syncDirectory(path.dirname(file));
    }
    const journal = new HeadJournal(file, handle, created);
    await journal.dropTornTail();
    journal.size = (await handle.stat()).size;
    return journal;
  }

  /** Appends one record and waits until it is on disk. */
  async append(record: HeadRecord): Promise<void> {
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    await this.handle.write(line, 0, line.length, this.size);
    await this.handle.datasync();
    this.size += line.length;
  }

  /** The newest record, reading only the end of the file. */
  async last(): Promise<HeadRecord | null> {
    const { size } = await this.handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await this.handle.read(buffer, 0, buffer.length, start);
    const lines = completeLines(buffer);
    const line = lines.at(-1);
    return line === undefined ? null : parseRecord(line, -1);
  }

  /**
   * Every record from the last anchor on (the anchor included), and the anchors before it. Lines
   * before the last anchor are history an operator's repair already accepted: a damaged one there
   * is skipped, not reported again.
   */
  async current(): Promise<{ records: HeadRecord[]; anchors: HeadRecord[] }> {
    const { size } = await this.handle.stat();
    const buffer = Buffer.alloc(size);
    await this.handle.read(buffer, 0, size, 0);
    const lines = completeLines(buffer);
    const records: HeadRecord[] = [];
    let index = lines.length - 1;
    for (; index >= 0; index -= 1) {
      const line = lines[index];
      if (!line) continue;
      const record = parseRecord(line, index + 1);
      records.push(record);
      if (record.anchor !== undefined) break;
    }
    const anchors = records.length > 0 && records.at(-1)?.anchor !== undefined ? [records.at(-1) as HeadRecord] : [];
    for (index -= 1; index >= 0; index -= 1) {
      const line = lines[index];
      if (!line?.includes('"anchor"')) continue;
      try {
        const record = parseRecord(line, index + 1);
        if (record.anchor !== undefined) anchors.unshift(record);
      } catch {
        // accepted history
      }
    }
    return { records: records.reverse(), anchors };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /**
   * A record without its newline was being written when the process died: its datasync never
   * returned, so nobody was told it was durable. Cut it off so the next record starts on a line.
   */
  private async dropTornTail(): Promise<void> {
    const { size } = await this.handle.stat();
    if (size === 0) return;
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await this.handle.read(buffer, 0, buffer.length, start);
    const lastNewline = buffer.lastIndexOf(0x0a);
    if (lastNewline === buffer.length - 1) return;
    await this.handle.truncate(lastNewline < 0 ? start : start + lastNewline + 1);
    await this.handle.datasync();
  }
}

/** Lines that ended with a newline: a record being written right now is not one yet. */
function completeLines(buffer: Buffer): string[] {
  const lines = buffer.toString('utf8').split('\n');
  lines.pop();
  return lines.filter(Boolean);
}

function parseRecord(line: string, lineNumber: number): HeadRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new HeadJournalError(`head journal line ${lineNumber === -1 ? '(last)' : lineNumber} is not JSON`);
  }
  const record = value as Partial<HeadRecord> | null;
  if (!record || !Number.isInteger(record.seq) || (record.seq as number) < 0 || typeof record.hash !== 'string' || !/^[0-9a-f]{64}$/.test(record.hash)) {
    throw new HeadJournalError(`head journal line ${lineNumber === -1 ? '(last)' : lineNumber} is not a head record`);
  }
  return record as HeadRecord;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
