import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { FRAME, awarenessFrame, readFrameHeader } from './message-frame.js';

interface Entry {
  clock: number;
  state: string;
}

/**
 * Merges outgoing awareness frames of one socket. Awareness is state-based (each entry carries the
 * whole state of one client with a clock), so only the newest entry per client matters; a removal
 * is an entry whose state is `null` with a higher clock, so it survives the merge.
 *
 * Why: every client renews its presence every 15 s and a relay forwards each renewal to every
 * other client (N^2 deliveries). Holding awareness frames for a short window and sending one merged
 * frame per document caps presence traffic per socket at one frame per window, whatever N is.
 */
export class AwarenessCoalescer {
  private readonly pending = new Map<string, Map<number, Entry>>();

  get size(): number {
    return this.pending.size;
  }

  /** Returns false (and keeps nothing) when the frame is not an awareness frame. */
  add(frame: Uint8Array): boolean {
    let header;
    try {
      header = readFrameHeader(frame);
    } catch {
      return false;
    }
    if (header.type !== FRAME.Awareness) return false;
    const update = decoding.readVarUint8Array(header.decoder);
    const inner = decoding.createDecoder(update);
    const count = decoding.readVarUint(inner);
    let entries = this.pending.get(header.documentName);
    if (entries === undefined) {
      entries = new Map();
      this.pending.set(header.documentName, entries);
    }
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(inner);
      const clock = decoding.readVarUint(inner);
      const state = decoding.readVarString(inner);
      const known = entries.get(clientId);
      if (known === undefined || known.clock <= clock) entries.set(clientId, { clock, state });
    }
    return true;
  }

  /** One merged frame per document, then empties itself. */
  drain(): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (const [documentName, entries] of this.pending) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, entries.size);
      for (const [clientId, entry] of entries) {
        encoding.writeVarUint(encoder, clientId);
        encoding.writeVarUint(encoder, entry.clock);
        encoding.writeVarString(encoder, entry.state);
      }
      frames.push(awarenessFrame(documentName, encoding.toUint8Array(encoder)));
    }
    this.pending.clear();
    return frames;
  }

  clear(): void {
    this.pending.clear();
  }
}
