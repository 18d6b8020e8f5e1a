import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/**
 * Hocuspocus frame layout (both directions): varString documentName, varUint messageType, body.
 * These are the message types of @hocuspocus/server's `MessageType` enum; they are protocol
 * constants, so they are repeated here rather than imported from a TS enum at runtime.
 */
export const FRAME = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  SyncReply: 4,
  Stateless: 5,
  BroadcastStateless: 6,
  Close: 7,
  SyncStatus: 8,
} as const;

/** y-protocols sync sub-types. */
export const SYNC_STEP = { Step1: 0, Step2: 1, Update: 2 } as const;

export interface FrameHeader {
  documentName: string;
  type: number;
  decoder: decoding.Decoder;
}

/** Reads the header; throws on a truncated or malformed frame (lib0 throws on overrun). */
export function readFrameHeader(frame: Uint8Array): FrameHeader {
  const decoder = decoding.createDecoder(frame);
  const documentName = decoding.readVarString(decoder);
  const type = decoding.readVarUint(decoder);
  return { documentName, type, decoder };
}

/**
 * The Yjs update a client frame would apply to a document, or null when the frame carries none
 * (sync step 1, awareness, auth, ...). Step 2 and Update both carry an update.
 */
export function documentUpdateOf(frame: Uint8Array): Uint8Array | null {
  const { type, decoder } = readFrameHeader(frame);
  if (type !== FRAME.Sync && type !== FRAME.SyncReply) return null;
  const step = decoding.readVarUint(decoder);
  if (step !== SYNC_STEP.Step2 && step !== SYNC_STEP.Update) return null;
  return decoding.readVarUint8Array(decoder);
}

/** The awareness update carried by an awareness frame. */
export function awarenessFrame(documentName: string, update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, documentName);
  encoding.writeVarUint(encoder, FRAME.Awareness);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}
