import { EventEmitter } from 'node:events';
import type { WebSocket as UwsWebSocket } from 'uWebSockets.js';
import { type Clock, systemClock } from '../contracts/clock.js';
import { AwarenessCoalescer } from './awareness-coalescer.js';
import { SyncError } from './errors.js';
import type { InboundVerdict } from './inbound-guard.js';

/** The `ws` readyState values Hocuspocus compares against (WsReadyStates in @hocuspocus/common). */
export const READY_STATE = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;

// uWS send() results.
const SEND_DROPPED = 2;

export interface UwsSocketBridgeOptions {
  /**
   * Awareness (presence) frames to this socket are merged and sent at most once per window.
   * Default 50 ms; 0 sends each frame at once. Document updates are never delayed.
   */
  presenceWindowMs?: number;
  /**
   * While more than this many bytes wait in the socket's send buffer, presence frames are held
   * (and merged) until uWS reports `drain`. Default 64 KiB. Document updates are always queued:
   * dropping one would leave the client with a hole it cannot see.
   */
  presenceBackpressure?: number;
  /** Called when uWS dropped a frame because the socket hit maxBackpressure (we then close it). */
  onDropped?: () => void;
  /** Checks (and may rewrite, drop or refuse) each client frame before Hocuspocus sees it. */
  inbound?: (frame: Uint8Array) => InboundVerdict;
  /** Timers for the presence window. Default the system clock. */
  clock?: Clock;
}

/**
 * What Hocuspocus 3 uses of a `ws` WebSocket (read from its ClientConnection and Connection):
 * events 'message' (data), 'close' (code, reason: Buffer) and 'pong'; methods send(data, cb),
 * close(code, reason), ping(); properties readyState and binaryType; and `emit('message')`, which
 * it calls itself to replay frames it queued during authentication.
 *
 * This class provides exactly that on top of one uWS WebSocket. uWS throws on any use of a socket
 * after its close handler ran, so every method checks `readyState` first and the server calls
 * `handleClosed` from the uWS close handler, which is the single place the state becomes Closed.
 */
export class UwsSocketBridge extends EventEmitter {
  readyState: number = READY_STATE.Open;
  /** Hocuspocus sets 'nodebuffer'; frames are always emitted as Buffers regardless. */
  binaryType = 'nodebuffer';

  private readonly presenceWindowMs: number;
  private readonly presenceBackpressure: number;
  private readonly presence = new AwarenessCoalescer();
  private presenceTimer: unknown = null;
  private readonly clock: Clock;
  private waitingForDrain = false;
  private readonly onDropped: (() => void) | undefined;
  private readonly inbound: ((frame: Uint8Array) => InboundVerdict) | undefined;
  /** Frames already checked: Hocuspocus re-emits the ones it queued during authentication. */
  private readonly checked = new WeakSet<Uint8Array>();

  constructor(
    private readonly ws: UwsWebSocket<unknown>,
    options: UwsSocketBridgeOptions = {},
  ) {
    super();
    this.presenceWindowMs = options.presenceWindowMs ?? 50;
    this.presenceBackpressure = options.presenceBackpressure ?? 64 * 1024;
    this.onDropped = options.onDropped;
    this.inbound = options.inbound;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Every client frame reaches Hocuspocus as a 'message' event: from `handleMessage`, or re-emitted
   * by Hocuspocus itself once the frame's document is authenticated. Checking here covers both.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const frame = args[0];
    if (event !== 'message' || !this.inbound || !(frame instanceof Uint8Array) || this.checked.has(frame)) return super.emit(event, ...args);
    const verdict = this.inbound(frame);
    switch (verdict.kind) {
      case 'later':
        return super.emit(event, ...args);
      case 'drop':
        return false;
      case 'close':
        this.close(verdict.code, verdict.reason);
        return false;
      case 'forward': {
        const out = verdict.frame === frame ? frame : Buffer.from(verdict.frame.buffer, verdict.frame.byteOffset, verdict.frame.byteLength);
        this.checked.add(out);
        return super.emit(event, out, ...args.slice(1));
      }
    }
  }

  get bufferedAmount(): number {
    return this.readyState === READY_STATE.Open ? this.ws.getBufferedAmount() : 0;
  }

  send(data: Uint8Array | string, cb?: (error?: Error) => void): void {
    if (this.readyState !== READY_STATE.Open) {
      cb?.(new SyncError('SYNC_CLOSED', 'socket is closed'));
      return;
    }
    const frame = typeof data === 'string' ? Buffer.from(data) : data;
    if (this.presenceWindowMs > 0 && this.presence.add(frame)) {
      this.schedulePresence();
      if (cb) queueMicrotask(() => cb());
      return;
    }
    const ok = this.write(frame);
    if (cb) queueMicrotask(() => cb(ok ? undefined : new SyncError('SYNC_CLOSED', 'frame dropped by backpressure')));
  }

  ping(): void {
    if (this.readyState === READY_STATE.Open) this.ws.ping();
  }

  /** Graceful close with a close frame; uWS runs the close handler synchronously. */
  close(code = 1000, reason = ''): void {
    if (this.readyState !== READY_STATE.Open) return;
    this.readyState = READY_STATE.Closing;
    // Close reasons are limited to 123 bytes by RFC 6455.
    this.ws.end(code, Buffer.from(reason).subarray(0, 123));
  }

  /** Forceful close without a close frame. */
  terminate(): void {
    if (this.readyState === READY_STATE.Closed) return;
    this.readyState = READY_STATE.Closing;
    this.ws.close();
  }

  /** From the uWS message handler. The ArrayBuffer is only valid during that call: copy it. */
  handleMessage(message: ArrayBuffer, isBinary: boolean): void {
    if (this.readyState !== READY_STATE.Open) return;
    if (!isBinary) {
      this.close(1003, 'binary frames only');
      return;
    }
    this.emit('message', Buffer.from(new Uint8Array(message)), true);
  }

  handlePong(): void {
    this.emit('pong');
  }

  handleDrain(): void {
    if (this.waitingForDrain && this.bufferedAmount <= this.presenceBackpressure) {
      this.waitingForDrain = false;
      this.flushPresence();
    }
  }

  /** From the uWS close handler: after this, the uWS socket must not be touched. */
  handleClosed(code: number, message: ArrayBuffer): void {
    if (this.readyState === READY_STATE.Closed) return;
    this.readyState = READY_STATE.Closed;
    if (this.presenceTimer !== null) this.clock.clearTimeout(this.presenceTimer);
    this.presenceTimer = null;
    this.presence.clear();
    this.emit('close', code, Buffer.from(new Uint8Array(message)));
  }

  private write(frame: Uint8Array): boolean {
    const status = this.ws.send(frame, true, false);
    if (status === SEND_DROPPED) {
      // The frame is gone. For a Yjs update that means a silent hole; closing makes the provider
      // reconnect, and its sync step 1/2 exchange fetches exactly what it is missing.
      this.onDropped?.();
      this.close(1013, 'backpressure limit');
      return false;
    }
    return true;
  }

  private schedulePresence(): void {
    if (this.presenceTimer !== null || this.waitingForDrain) return;
    this.presenceTimer = this.clock.setTimeout(() => {
      this.presenceTimer = null;
      if (this.readyState !== READY_STATE.Open) return;
      if (this.ws.getBufferedAmount() > this.presenceBackpressure) {
        this.waitingForDrain = true;
        return;
      }
      this.flushPresence();
    }, this.presenceWindowMs);
  }

  private flushPresence(): void {
    if (this.readyState !== READY_STATE.Open || this.presence.size === 0) return;
    const frames = this.presence.drain();
    this.ws.cork(() => {
      for (const frame of frames) if (!this.write(frame)) break;
    });
  }
}
