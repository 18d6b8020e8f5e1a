import type { SnapshotPosition } from '../sessions/snapshot-store.js';
import type { EventLog } from './event-log.js';
import { GENESIS_HASH, hashEntry } from './hash-chain.js';
import { HeadJournalError, type HeadJournal, type HeadRecord } from './head-journal.js';

/**
 * Cross-checks of the event log against what was recorded outside its chain: the head journal
 * (one record per group commit), the sessions' snapshots (seq and hash they reflect) and the
 * anchors the checkpoint tags carry. The chain alone cannot see a truncated tail or an entry
 * rewritten with every later hash recomputed; these can.
 */
export type IntegrityKind =
  | 'chain_broken'
  | 'truncated_tail'
  | 'head_mismatch'
  | 'entry_rewritten'
  | 'snapshot_ahead'
  | 'snapshot_mismatch'
  | 'anchor_ahead'
  | 'anchor_mismatch'
  | 'journal_corrupt'
  | 'leveldb_dropped_data'
  | 'leveldb_open_failed';

export interface IntegrityFinding {
  kind: IntegrityKind;
  /** The sequence number the finding is about, when there is one. */
  seq: number | null;
  reason: string;
  sessionId?: string;
  source?: string;
}

/** A chain position recorded elsewhere (e.g. in a checkpoint tag's message). */
export interface LogAnchor {
  seq: number;
  hash: string;
  /** Where the anchor came from, e.g. `checkpoint/<session>/<n>`; shown in findings. */
  source?: string;
  /**
   * When it was recorded (e.g. the tag's date). An anchor past the head an operator's repair
   * re-anchored at, and older than that repair, names entries the repair gave up: it is reported
   * as superseded instead of failing every later audit.
   */
  at?: string;
}

type EntryReader = Pick<EventLog, 'entryAt'>;
const GENESIS = { seq: 0, hash: GENESIS_HASH };

/** What the start-up check found, and what it may fix without an operator. */
export interface StartCheck {
  findings: IntegrityFinding[];
  /** The last entry in LevelDB (what the log will continue from). */
  logEnd: { seq: number; hash: string };
  /** Set when LevelDB holds exactly one group the journal missed (a crash between the two writes). */
  completeJournal: HeadRecord | null;
  /** Set when the journal is empty but the log is not (first start with a journal). */
  adoptJournal: boolean;
}

/**
 * The cheap check run at every start: LevelDB's head row against its last entry, the journal's
 * last record against both, and every snapshot's position against the log. It reads a handful of
 * rows, not the chain; `auditLog` walks the chain.
 */
export async function checkAtStart(input: { log: EventLog; journalLast: HeadRecord | null; snapshots: SnapshotPosition[] }): Promise<StartCheck> {
  const { log, journalLast } = input;
  const findings: IntegrityFinding[] = [];
  const stored = (await log.storedHead()) ?? { ...GENESIS };
  const last = await log.lastEntry();
  const logEnd = last ? { seq: last.seq, hash: last.hash } : { ...GENESIS };
  if (logEnd.seq < stored.seq) {
    findings.push({ kind: 'truncated_tail', seq: logEnd.seq + 1, reason: `LevelDB's head row says seq ${stored.seq} but its last entry is seq ${logEnd.seq}: entries ${logEnd.seq + 1}..${stored.seq} are missing` });
  } else if (logEnd.seq > stored.seq) {
    findings.push({ kind: 'head_mismatch', seq: stored.seq + 1, reason: `LevelDB holds entries up to seq ${logEnd.seq} beyond its head row (seq ${stored.seq})` });
  } else if (logEnd.hash !== stored.hash) {
    findings.push({ kind: 'head_mismatch', seq: logEnd.seq, reason: `the last entry (seq ${logEnd.seq}) does not have the hash LevelDB's head row records` });
  }

  let completeJournal: HeadRecord | null = null;
  let adoptJournal = false;
  if (!journalLast) {
    adoptJournal = logEnd.seq > 0;
  } else if (journalLast.seq > logEnd.seq) {
    findings.push({
      kind: 'truncated_tail',
      seq: logEnd.seq + 1,
      reason: `the head journal recorded seq ${journalLast.seq} but the log ends at seq ${logEnd.seq}: ${journalLast.seq - logEnd.seq} acknowledged entries are missing`,
    });
  } else if (journalLast.seq === logEnd.seq) {
    if (journalLast.hash !== logEnd.hash) findings.push(rewritten(journalLast.seq, 'the head journal'));
  } else {
    const atJournal = journalLast.seq === 0 ? GENESIS : await log.entryAt(journalLast.seq);
    if (!atJournal) {
      findings.push({ kind: 'chain_broken', seq: journalLast.seq, reason: `the log has no entry at seq ${journalLast.seq}, which the head journal recorded` });
    } else if (atJournal.hash !== journalLast.hash) {
      findings.push(rewritten(journalLast.seq, 'the head journal'));
    } else if (findings.length === 0 && stored.prev && stored.prev.seq === journalLast.seq && stored.prev.hash === journalLast.hash) {
      // The process died after LevelDB's batch and before the journal's record: nobody was told
      // about that group, and it is complete in LevelDB. Record it now.
      completeJournal = { seq: logEnd.seq, hash: logEnd.hash };
    } else {
      findings.push({
        kind: 'head_mismatch',
        seq: journalLast.seq + 1,
        reason: `the log is ${logEnd.seq - journalLast.seq} entries ahead of the head journal (seq ${journalLast.seq}), more than the one group a crash can leave`,
      });
    }
  }
  findings.push(...(await checkSnapshots(log, input.snapshots, logEnd.seq)));
  return { findings, logEnd, completeJournal, adoptJournal };
}

/** Each snapshot must reflect an entry the log has, with the hash it had when the snapshot was taken. */
export async function checkSnapshots(log: EntryReader, snapshots: SnapshotPosition[], logEndSeq: number): Promise<IntegrityFinding[]> {
  const findings: IntegrityFinding[] = [];
  for (const snapshot of snapshots) {
    if (snapshot.seq > logEndSeq) {
      findings.push({
        kind: 'snapshot_ahead',
        seq: snapshot.seq,
        sessionId: snapshot.sessionId,
        reason: `the snapshot of session ${snapshot.sessionId} reflects seq ${snapshot.seq} but the log ends at seq ${logEndSeq}: the log lost entries`,
      });
      continue;
    }
    const entry = await log.entryAt(snapshot.seq);
    if (!entry) {
      findings.push({ kind: 'snapshot_mismatch', seq: snapshot.seq, sessionId: snapshot.sessionId, reason: `the snapshot of session ${snapshot.sessionId} reflects seq ${snapshot.seq}, which the log does not have` });
    } else if (snapshot.hash !== null && entry.hash !== snapshot.hash) {
      findings.push({ ...rewritten(snapshot.seq, `the snapshot of session ${snapshot.sessionId}`), sessionId: snapshot.sessionId });
    }
  }
  return findings;
}

/**
 * Checks chain positions recorded elsewhere (checkpoint tags carry the log head they were made
 * at) against the log: an anchor past the log's end means the tail was lost; an anchor whose
 * hash differs means an entry at or before it was rewritten, even with the chain recomputed.
 */
export async function checkAnchors(log: Pick<EventLog, 'entryAt' | 'head'>, anchors: LogAnchor[]): Promise<IntegrityFinding[]> {
  const findings: IntegrityFinding[] = [];
  for (const anchor of anchors) {
    const named = anchor.source ? `${anchor.source} ` : '';
    const source = anchor.source ? { source: anchor.source } : {};
    if (anchor.seq === 0) {
      if (anchor.hash !== GENESIS_HASH) findings.push({ kind: 'anchor_mismatch', seq: 0, reason: `${named}anchors seq 0 with a hash other than the genesis hash`, ...source });
      continue;
    }
    const entry = await log.entryAt(anchor.seq);
    if (!entry) {
      findings.push({
        kind: anchor.seq > log.head.seq ? 'anchor_ahead' : 'anchor_mismatch',
        seq: anchor.seq,
        reason: `${named}recorded log seq ${anchor.seq} but the log ${anchor.seq > log.head.seq ? `ends at seq ${log.head.seq}: its tail was lost` : 'has no entry there'}`,
        ...source,
      });
    } else if (entry.hash !== anchor.hash) {
      findings.push({ ...rewritten(anchor.seq, named.trim() || 'an anchor'), kind: 'anchor_mismatch', ...source });
    }
  }
  return findings;
}

export interface AuditReport {
  ok: boolean;
  /** Entries walked (all of them up to the head). */
  count: number;
  /** Hash of the last entry walked. */
  headHash: string;
  /** Sequence number of the first finding (kept for older clients). */
  brokenAt: number | null;
  /** Reason of the first finding (kept for older clients). */
  reason: string | null;
  head: { seq: number; hash: string };
  journal: { records: number; lastSeq: number | null; anchors: HeadRecord[] } | null;
  snapshotsChecked: number;
  anchorsChecked: number;
  /** Anchors that point past a repair's re-anchored head and predate it (see `LogAnchor.at`). */
  anchorsSuperseded: LogAnchor[];
  findings: IntegrityFinding[];
}

/**
 * `audit verify`: walks the whole chain and checks it against the head journal (every group
 * commit's head since the last anchor), the snapshots and the given anchors. Safe while appends
 * go on: snapshots are read first, then the head, then the journal (which is written before the
 * head moves), so nothing read is legitimately ahead of what the walk reaches.
 */
export async function auditLog(input: { log: EventLog; journal: HeadJournal | null; snapshots: { positions(): Promise<SnapshotPosition[]> }; anchors?: LogAnchor[] }): Promise<AuditReport> {
  const { log, journal } = input;
  const findings: IntegrityFinding[] = [];
  const positions = await input.snapshots.positions();
  const head = log.head;
  let records: HeadRecord[] = [];
  let anchors: HeadRecord[] = [];
  if (journal) {
    try {
      ({ records, anchors } = await journal.current());
    } catch (error) {
      if (!(error instanceof HeadJournalError)) throw error;
      findings.push({ kind: 'journal_corrupt', seq: null, reason: error.message });
    }
  }
  const journalLast = records.at(-1) ?? null;
  if (journal && journalLast && journalLast.seq < head.seq) {
    findings.push({ kind: 'head_mismatch', seq: journalLast.seq + 1, reason: `the head journal ends at seq ${journalLast.seq} but the log's head is seq ${head.seq}: entries were appended without it` });
  }
  const target = Math.max(head.seq, journalLast?.seq ?? 0);
  const expected = new Map(records.map((record) => [record.seq, record.hash]));

  const walk = await walkChain(log, target, expected);
  findings.push(...walk.findings);
  findings.push(...(await checkSnapshots(log, positions, walk.end)));
  const repairedAt = anchors.at(-1);
  const superseded = (anchor: LogAnchor) =>
    repairedAt?.at !== undefined && anchor.at !== undefined && anchor.seq > repairedAt.seq && Date.parse(anchor.at) < Date.parse(repairedAt.at);
  const anchorList = (input.anchors ?? []).filter((anchor) => !superseded(anchor));
  const anchorsSuperseded = (input.anchors ?? []).filter(superseded);
  findings.push(...(await checkAnchors(log, anchorList)));
  const first = findings[0];
  return {
    ok: findings.length === 0,
    count: walk.count,
    headHash: walk.headHash,
    brokenAt: first?.seq ?? null,
    reason: first?.reason ?? null,
    head,
    journal: journal ? { records: records.length, lastSeq: journalLast?.seq ?? null, anchors } : null,
    snapshotsChecked: positions.length,
    anchorsChecked: anchorList.length,
    anchorsSuperseded,
    findings,
  };
}

/** Recomputes the chain up to `target` and compares it with the journal's recorded hashes. */
async function walkChain(log: EventLog, target: number, expected: Map<number, string>): Promise<{ count: number; end: number; headHash: string; findings: IntegrityFinding[] }> {
  const findings: IntegrityFinding[] = [];
  let prevHash = GENESIS_HASH;
  let seq = 0;
  let lastMatched = 0;
  let journalAgrees = true;
  if (expected.has(0) && expected.get(0) !== GENESIS_HASH) {
    findings.push({ kind: 'journal_corrupt', seq: 0, reason: 'the head journal anchors seq 0 with a hash other than the genesis hash' });
  }
  for await (const entry of log.entriesFrom(0)) {
    if (entry.seq > target) break;
    const { hash, ...body } = entry;
    const broken = entry.seq !== seq + 1 ? 'sequence gap or key mismatch' : entry.prevHash !== prevHash ? 'previous-hash link broken' : hashEntry(body) !== hash ? 'entry content does not match its hash' : null;
    if (broken) {
      findings.push({ kind: 'chain_broken', seq: entry.seq, reason: broken });
      return { count: seq, end: seq, headHash: prevHash, findings };
    }
    const recorded = expected.get(entry.seq);
    if (journalAgrees && recorded !== undefined) {
      if (recorded === hash) {
        lastMatched = entry.seq;
      } else {
        // Only the first disagreement says something: every later hash differs as well.
        journalAgrees = false;
        findings.push({
          kind: 'entry_rewritten',
          seq: lastMatched + 1,
          reason: `the hash at seq ${entry.seq} differs from the head journal's record: an entry between seq ${lastMatched + 1} and ${entry.seq} was rewritten and the chain recomputed`,
        });
      }
    }
    prevHash = hash;
    seq = entry.seq;
  }
  if (seq < target) {
    findings.push({ kind: 'truncated_tail', seq: seq + 1, reason: `the log ends at seq ${seq} but its head (by the head journal and the runtime) is seq ${target}: entries ${seq + 1}..${target} are missing` });
  }
  return { count: seq, end: seq, headHash: prevHash, findings };
}

function rewritten(seq: number, recordedBy: string): IntegrityFinding {
  return { kind: 'entry_rewritten', seq, reason: `the entry at seq ${seq} does not have the hash ${recordedBy} recorded: the log was rewritten at or before seq ${seq}` };
}
