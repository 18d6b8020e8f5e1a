import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../contracts/clock.js';
import { stampAuthors } from './author-stamp.js';
import { parseDocumentName } from './document-name.js';
import { FRAME, SYNC_STEP, awarenessFrame, readFrameHeader } from './message-frame.js';
import { PresenceClaims, RateLimit, stampAwarenessUpdate } from './presence-stamp.js';

/** What a socket's frame may become before Hocuspocus sees it. */
export type InboundVerdict =
  /** The frame's document is not authenticated on this socket yet: Hocuspocus queues it and re-emits it after authentication, when it is checked. */
  | { kind: 'later' }
  | { kind: 'forward'; frame: Uint8Array }
  | { kind: 'drop' }
  | { kind: 'close'; code: number; reason: string };

export interface GuardUser {
  userId: string;
  name: string;
  /** The role on this document's session (lower of token and membership). */
  role: string;
}

/** Per-socket state the guard keeps (on the server's SocketRequest). */
export interface GuardSocket {
  /** Documents this socket authenticated, with who it authenticated as. */
  users: Map<string, GuardUser>;
  presenceLimits?: Map<string, RateLimit>;
  warned?: Set<string>;
}

export interface InboundGuardOptions {
  /** Largest awareness frame accepted. Default 4 KiB: a name, a colour and what someone looks at. */
  maxAwarenessBytes?: number;
  /** Awareness frames per second per socket and document, with a burst. Default 10/s, burst 20. */
  awarenessPerSecond?: number;
  awarenessBurst?: number;
  logger: Logger;
  /** Refills the rate limits. Default the system clock. */
  clock?: Clock;
}

/**
 * Checks every frame a client sends, after its document is authenticated and before Hocuspocus
 * stores, applies or relays it: presence carries the server's identity for the token (name, role,
 * colour) and is capped in size and rate; authors in the shared document are stamped from the token.
 */
export function createInboundGuard(options: InboundGuardOptions) {
  const maxAwarenessBytes = options.maxAwarenessBytes ?? 4 * 1024;
  const perSecond = options.awarenessPerSecond ?? 10;
  const burst = options.awarenessBurst ?? 20;
  const claims = new PresenceClaims();
  const clock = options.clock ?? systemClock;
  const nowMs = () => clock.now().getTime();

  function warnOnce(socket: GuardSocket, what: string, fields: Record<string, unknown>): void {
    socket.warned ??= new Set();
    if (socket.warned.has(what)) return;
    socket.warned.add(what);
    options.logger.warn(fields, `sync: ${what}`);
  }

  function check(frame: Uint8Array, socket: GuardSocket): InboundVerdict {
    let header;
    try {
      header = readFrameHeader(frame);
    } catch {
      return { kind: 'later' }; // malformed: Hocuspocus and beforeHandleMessage refuse it
    }
    const user = socket.users.get(header.documentName);
    if (!user) return { kind: 'later' };
    if (header.type === FRAME.Awareness) {
      if (frame.length > maxAwarenessBytes) {
        warnOnce(socket, 'dropped oversized awareness frames', { userId: user.userId, bytes: frame.length, limit: maxAwarenessBytes });
        return { kind: 'drop' };
      }
      socket.presenceLimits ??= new Map();
      let limit = socket.presenceLimits.get(header.documentName);
      if (!limit) {
        limit = new RateLimit(perSecond, burst, nowMs);
        socket.presenceLimits.set(header.documentName, limit);
      }
      if (!limit.take()) {
        warnOnce(socket, 'rate-limited awareness frames', { userId: user.userId, perSecond, burst });
        return { kind: 'drop' };
      }
      try {
        const update = decoding.readVarUint8Array(header.decoder);
        const stamped = stampAwarenessUpdate(update, user, (clientId) => claims.mayUse(header.documentName, clientId, user.userId));
        return stamped === null ? { kind: 'drop' } : { kind: 'forward', frame: awarenessFrame(header.documentName, stamped) };
      } catch {
        return { kind: 'close', code: 4400, reason: 'malformed awareness frame' };
      }
    }
    if ((header.type === FRAME.Sync || header.type === FRAME.SyncReply) && user.role !== 'viewer' && isShared(header.documentName)) {
      const step = decoding.readVarUint(header.decoder);
      if (step !== SYNC_STEP.Step2 && step !== SYNC_STEP.Update) return { kind: 'forward', frame };
      let result;
      try {
        result = stampAuthors(decoding.readVarUint8Array(header.decoder), user);
      } catch {
        return { kind: 'close', code: 4400, reason: 'malformed Yjs update' };
      }
      if (result.kind === 'unchanged') return { kind: 'forward', frame };
      if (result.kind === 'refused') {
        options.logger.warn({ userId: user.userId, documentName: header.documentName, reason: result.reason }, 'sync: refused a shared-document update');
        return { kind: 'close', code: 4400, reason: `refused update: ${result.reason}` };
      }
      warnOnce(socket, 'replaced a client-written author', { userId: user.userId, documentName: header.documentName });
      return { kind: 'forward', frame: syncFrame(header.documentName, header.type, step, result.update) };
    }
    return { kind: 'forward', frame };
  }

  return {
    check,
    /** A document was unloaded: its presence claims go with it. */
    release: (documentName: string) => claims.release(documentName),
  };
}

export type InboundGuard = ReturnType<typeof createInboundGuard>;

function isShared(documentName: string): boolean {
  try {
    return parseDocumentName(documentName).kind === 'shared';
  } catch {
    return false;
  }
}

function syncFrame(documentName: string, type: number, step: number, update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarString(encoder, documentName);
  encoding.writeVarUint(encoder, type);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}
