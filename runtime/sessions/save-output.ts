// Gate output of a running Save, streamed to the session's state document so everyone watching
// sees it live. Output arrives in arbitrary chunks, possibly thousands a second (a test suite);
// chunks are gathered and sent at most every FLUSH_MS per run, so a chatty gate costs a few
// document updates a second. Readers concatenate the texts in seq order: a chunk may end mid-line.
// The Save's result keeps the (bounded) output for good, in the event log.
import type { Clock } from '../clock.js';

const FLUSH_MS = 100;
/** Longest text in one event: the state document keeps strings up to 8 KiB. */
const MAX_TEXT = 8 * 1024;

export type SaveOutputEvent = {
  type: 'gate_output';
  seq: number;
  at: string;
  stream: 'stdout' | 'stderr';
  text: string;
};

/** Where a Save's output stream lives in the state document (task and run ids of the `agents` map). */
export function saveStreamRef(saveId: string, run: string): { taskId: string; runId: string } {
  return { taskId: `save.${saveId}`, runId: `save.${saveId}.${run}` };
}

interface RunBuffer {
  sessionId: string;
  ref: { taskId: string; runId: string };
  seq: number;
  /** Output waiting for the next flush, in arrival order (same-stream neighbours merged). */
  pending: Array<{ stream: 'stdout' | 'stderr'; text: string }>;
}

export class SaveOutputStreams {
  private readonly runs = new Map<string, RunBuffer>();
  private timer: unknown = null;

  constructor(
    private readonly emit: (sessionId: string, taskId: string, runId: string, event: SaveOutputEvent) => void,
    private readonly clock: Clock,
  ) {}

  write(sessionId: string, saveId: string, run: string, stream: 'stdout' | 'stderr', text: string): void {
    const key = `${sessionId}\0${saveId}\0${run}`;
    let buffer = this.runs.get(key);
    if (!buffer) {
      buffer = { sessionId, ref: saveStreamRef(saveId, run), seq: 0, pending: [] };
      this.runs.set(key, buffer);
    }
    const last = buffer.pending[buffer.pending.length - 1];
    if (last && last.stream === stream) last.text += text;
    else buffer.pending.push({ stream, text });
    this.timer ??= this.clock.setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Sends everything buffered; the runs of `ended` (a Save that is over) are then forgotten. */
  flush(ended: { sessionId: string; saveId: string } | null = null): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const at = this.clock.now().toISOString();
    const endedPrefix = ended ? `${ended.sessionId}\0${ended.saveId}\0` : null;
    for (const [key, buffer] of this.runs) {
      for (const piece of buffer.pending.splice(0)) {
        for (let start = 0; start < piece.text.length; start += MAX_TEXT) {
          buffer.seq += 1;
          this.emit(buffer.sessionId, buffer.ref.taskId, buffer.ref.runId, { type: 'gate_output', seq: buffer.seq, at, stream: piece.stream, text: piece.text.slice(start, start + MAX_TEXT) });
        }
      }
      if (endedPrefix !== null && key.startsWith(endedPrefix)) this.runs.delete(key);
    }
  }
}
