import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { SnapshotStore } from '../sessions/snapshot-store.js';
import type { Db } from '../storage/db.js';
import {
  discardPreservedLogs,
  droppedOnOpen,
  keepPreservedLogs,
  LevelOpenCorruptionError,
  openLevel,
  preserveWriteAheadLogs,
  repairLevel,
} from '../storage/leveldb-recovery.js';
import { EventLog } from './event-log.js';
import { HeadJournal, HeadJournalError, type HeadRecord } from './head-journal.js';
import { auditLog, checkAtStart, type AuditReport, type IntegrityFinding, type LogAnchor } from './log-integrity.js';

export const LOG_CORRUPTION_RUNBOOK = 'docs/runbooks/log-corruption.md';
export const LOG_REPAIRED = 'LOG.REPAIRED';
export const LOG_HEAD_JOURNAL_STARTED = 'LOG.HEAD_JOURNAL_STARTED';
const REPAIR_ACTOR = { kind: 'system' as const, id: 'log-repair' };

/** Where the pieces live inside the data dir. */
export function ledgerPaths(dataDir: string): { db: string; journal: string; walAtStart: string; damage: string } {
  return {
    db: path.join(dataDir, 'db'),
    journal: path.join(dataDir, 'log-head.journal'),
    walAtStart: path.join(dataDir, 'wal-at-start'),
    damage: path.join(dataDir, 'log-damage.json'),
  };
}

/** The start refused: the log does not match what was recorded outside it. Names the data dir and the runbook. */
export class LogCorruptionError extends Error {
  override readonly name = 'LogCorruptionError';
  readonly code = 'LOG_CORRUPT';
  constructor(
    readonly dataDir: string,
    readonly findings: IntegrityFinding[],
    readonly preservedWal: string | null,
  ) {
    super(
      [
        `the event log in ${dataDir} failed its integrity check; the runtime did not start.`,
        ...findings.map((finding) => `  - ${finding.kind}${finding.seq === null ? '' : ` (seq ${finding.seq})`}: ${finding.reason}`),
        ...(preservedWal ? [`LevelDB's write-ahead log as it was before this start is kept in ${preservedWal}.`] : []),
        `See ${LOG_CORRUPTION_RUNBOOK}: restore the data dir from a backup, or start once with`,
        '`thalogos serve --repair-log` (or THALOGOS_REPAIR_LOG=1) to accept the loss and record it in the audit log.',
      ].join('\n'),
    );
  }
}

export interface Ledger {
  db: Db;
  log: EventLog;
  journal: HeadJournal;
  snapshots: SnapshotStore;
  /** What a repair at this start found and recorded (null on a clean start). */
  repaired: IntegrityFinding[] | null;
  /** `audit verify`: the whole chain against the journal, the snapshots and the given anchors. */
  audit(anchors?: LogAnchor[]): Promise<AuditReport>;
  close(): Promise<void>;
}

export interface LedgerOptions {
  /** The operator's explicit `--repair-log`: start anyway, record the loss, re-anchor the head. */
  repair: boolean;
  logger: Logger;
  now?: () => Date;
}

/**
 * Opens LevelDB, the event log and its head journal, and checks them against each other before
 * anything else runs. Damage stops the start with a LogCorruptionError unless `repair` is set.
 */
export async function openLedger(dataDir: string, options: LedgerOptions): Promise<Ledger> {
  const { logger } = options;
  const now = options.now ?? (() => new Date());
  const paths = ledgerPaths(dataDir);
  await preserveWriteAheadLogs(paths.db, paths.walAtStart);
  // Damage found by an earlier, refused start: LevelDB has since recovered (and deleted) its
  // write-ahead log, so this start may no longer see it; the refusal stands until a repair.
  const findings: IntegrityFinding[] = await readDamage(paths.damage);

  let db: Db;
  try {
    db = await openLevel(paths.db);
  } catch (error) {
    if (!(error instanceof LevelOpenCorruptionError)) throw error;
    findings.push({ kind: 'leveldb_open_failed', seq: null, reason: `LevelDB refused to open: ${error.message}` });
    if (!options.repair) throw await refuse(dataDir, findings, now);
    logger.error({ dataDir, reason: error.message }, 'LevelDB is corrupt; running LevelDB repair because --repair-log was given');
    await repairLevel(paths.db);
    db = await openLevel(paths.db);
  }
  for (const line of await droppedOnOpen(paths.db)) findings.push({ kind: 'leveldb_dropped_data', seq: null, reason: `LevelDB dropped data while recovering its write-ahead log: ${line}` });

  const journal = await HeadJournal.open(paths.journal);
  const log = await EventLog.open(db, now, journal);
  const snapshots = new SnapshotStore(db, log, now);
  const close = async () => {
    await journal.close();
    await db.close();
  };

  try {
    let journalLast: HeadRecord | null = null;
    try {
      journalLast = await journal.last();
    } catch (error) {
      if (!(error instanceof HeadJournalError)) throw error;
      findings.push({ kind: 'journal_corrupt', seq: null, reason: error.message });
    }
    const check = await checkAtStart({ log, journalLast, snapshots: await snapshots.positions() });
    findings.push(...check.findings);
    let repaired: IntegrityFinding[] | null = null;
    if (findings.length > 0) {
      if (!options.repair) throw await refuse(dataDir, findings, now);
      const kept = await keepEvidence(paths, now);
      repaired = dedupe(findings);
      await repair({ log, journal, snapshots, findings: repaired, journalLast, preservedWal: kept, now });
      await rm(paths.damage, { force: true });
      logger.error(
        { dataDir, findings: repaired, head: log.head, preservedWal: kept, runbook: LOG_CORRUPTION_RUNBOOK },
        `THE EVENT LOG WAS REPAIRED (--repair-log): ${repaired.length} problem(s) accepted and recorded as ${LOG_REPAIRED}; the head is re-anchored at seq ${log.head.seq}. Read ${LOG_CORRUPTION_RUNBOOK}.`,
      );
    } else {
      if (check.completeJournal) {
        await journal.append(check.completeJournal);
        logger.warn({ head: check.completeJournal }, 'the last group commit before a crash was in LevelDB but not in the head journal; recorded it');
      }
      if (check.adoptJournal) await adoptJournal(log, journal, now, logger);
      await discardPreservedLogs(paths.walAtStart);
    }
    return { db, log, journal, snapshots, repaired, audit: (anchors) => auditLog({ log, journal, snapshots, ...(anchors ? { anchors } : {}) }), close };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

interface DamageRecord {
  foundAt: string;
  findings: IntegrityFinding[];
  preservedWal: string | null;
}

/** Writes down what a refused start found (so later starts refuse too) and builds the error. */
async function refuse(dataDir: string, findings: IntegrityFinding[], now: () => Date): Promise<LogCorruptionError> {
  const paths = ledgerPaths(dataDir);
  const previous = await readDamageRecord(paths.damage);
  const preservedWal = await keepEvidence(paths, now);
  const record: DamageRecord = { foundAt: previous?.foundAt ?? now().toISOString(), findings: dedupe(findings), preservedWal };
  await writeFile(paths.damage, `${JSON.stringify(record, null, 2)}\n`);
  return new LogCorruptionError(dataDir, record.findings, preservedWal);
}

/**
 * The first refusal keeps the write-ahead log as it was when the damage was found; what a later
 * start sees is LevelDB's log after its recovery, which says nothing new.
 */
async function keepEvidence(paths: ReturnType<typeof ledgerPaths>, now: () => Date): Promise<string | null> {
  const previous = (await readDamageRecord(paths.damage))?.preservedWal ?? null;
  if (!previous) return keepPreservedLogs(paths.walAtStart, now());
  await discardPreservedLogs(paths.walAtStart);
  return previous;
}

async function readDamageRecord(file: string): Promise<DamageRecord | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DamageRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // An unreadable record still means a start was refused.
    return { foundAt: 'unknown', findings: [{ kind: 'journal_corrupt', seq: null, reason: `${file} is unreadable` }], preservedWal: null };
  }
}

async function readDamage(file: string): Promise<IntegrityFinding[]> {
  return (await readDamageRecord(file))?.findings ?? [];
}

function dedupe(findings: IntegrityFinding[]): IntegrityFinding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = `${finding.kind}|${finding.seq}|${finding.reason}|${finding.sessionId ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The operator accepted the damage. Take LevelDB as it is now: drop the snapshots that no longer
 * match it (their sessions are rebuilt from the log), point the head row at the last entry,
 * re-anchor the journal there, and write down in the log itself what was found and lost.
 */
async function repair(input: {
  log: EventLog;
  journal: HeadJournal;
  snapshots: SnapshotStore;
  findings: IntegrityFinding[];
  journalLast: HeadRecord | null;
  preservedWal: string | null;
  now: () => Date;
}): Promise<void> {
  const { log, journal, findings } = input;
  const dropped = [...new Set(findings.flatMap((finding) => (finding.sessionId ? [finding.sessionId] : [])))];
  for (const sessionId of dropped) await input.snapshots.discard(sessionId);
  const head = await log.resetHeadToLastEntry();
  const lost = input.journalLast && input.journalLast.seq > head.seq ? { fromSeq: head.seq + 1, toSeq: input.journalLast.seq } : null;
  await journal.append({ seq: head.seq, hash: head.hash, anchor: `repair: ${[...new Set(findings.map((finding) => finding.kind))].join(', ')}`, at: input.now().toISOString() });
  await log.appendOne({
    actor: REPAIR_ACTOR,
    sessionId: null,
    type: LOG_REPAIRED,
    data: { findings, lost, previousJournalHead: input.journalLast, reanchoredAt: head, snapshotsDiscarded: dropped, preservedWal: input.preservedWal },
  });
}

/** First start with a head journal on a log that already has entries: anchor it at the current head. */
async function adoptJournal(log: EventLog, journal: HeadJournal, now: () => Date, logger: Logger): Promise<void> {
  const head = log.head;
  await journal.append({ seq: head.seq, hash: head.hash, anchor: 'head journal started on an existing log', at: now().toISOString() });
  await log.appendOne({ actor: REPAIR_ACTOR, sessionId: null, type: LOG_HEAD_JOURNAL_STARTED, data: { head, journal: journal.file } });
  logger.warn({ head, journal: journal.file }, 'the head journal was missing on a non-empty log; started it at the current head (expected once, after an upgrade)');
}
