import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import uWS from 'uWebSockets.js';
import type { InboundVerdict } from './inbound-guard.js';
import { READY_STATE, UwsSocketBridge, type UwsSocketBridgeOptions } from './uws-socket-bridge.js';

type WsClient = {
  on(event: string, fn: (...args: unknown[]) => void): void;
  send(data: Uint8Array): void;
  close(): void;
  terminate(): void;
  _socket: { pause(): void };
};
const WebSocket = (createRequire(import.meta.url)('ws') as { WebSocket: new (url: string) => WsClient }).WebSocket;

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

async function serve(maxBackpressure: number, options: UwsSocketBridgeOptions = {}): Promise<{ url: string; bridges: UwsSocketBridge[] }> {
  const app = uWS.App();
  const bridges: UwsSocketBridge[] = [];
  app.ws<{ bridge?: UwsSocketBridge }>('/b', {
    maxBackpressure,
    maxPayloadLength: 1 << 20,
    open(ws) {
      const bridge = new UwsSocketBridge(ws, { presenceWindowMs: 0, ...options });
      ws.getUserData().bridge = bridge;
      bridges.push(bridge);
      if (!options.inbound) bridge.on('message', (data: Buffer) => bridge.send(data)); // echo
    },
    message: (ws, message, isBinary) => ws.getUserData().bridge?.handleMessage(message, isBinary),
    drain: (ws) => ws.getUserData().bridge?.handleDrain(),
    close: (ws, code, message) => ws.getUserData().bridge?.handleClosed(code, message),
  });
  const listen = await new Promise<uWS.us_listen_socket>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen')))),
  );
  cleanup.push(() => uWS.us_listen_socket_close(listen));
  return { url: `ws://127.0.0.1:${uWS.us_socket_local_port(listen as unknown as uWS.us_socket)}/b`, bridges };
}

function open(url: string): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(url);
    cleanup.push(() => client.terminate());
    client.on('open', () => resolve(client));
    client.on('error', reject);
  });
}

describe('UwsSocketBridge', () => {
  it('echoes binary frames (copied out of the uWS buffer) and reports close codes', async () => {
    const { url, bridges } = await serve(1 << 20);
    const client = await open(url);
    const echoed = new Promise<Buffer>((resolve) => client.on('message', (data) => resolve(data as Buffer)));
    client.send(new Uint8Array([1, 2, 3]));
    expect([...(await echoed)]).toEqual([1, 2, 3]);
    const bridge = bridges[0]!;
    const closed = new Promise<[number, string]>((resolve) => bridge.once('close', (code: number, reason: Buffer) => resolve([code, reason.toString()])));
    const clientClosed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code as number)));
    bridge.close(4401, 'unauthorized: SYNC_UNAUTHORIZED');
    expect(await closed).toEqual([4401, 'unauthorized: SYNC_UNAUTHORIZED']);
    expect(await clientClosed).toBe(4401);
    // Use after close: no throw (uWS would throw), the callback gets an error instead.
    expect(bridge.readyState).toBe(READY_STATE.Closed);
    let callbackError: unknown = null;
    bridge.send(new Uint8Array([1]), (error) => (callbackError = error));
    bridge.ping();
    bridge.close();
    expect(callbackError).toMatchObject({ code: 'SYNC_CLOSED' });
  });

  it('closes (1013) a socket whose reader stalls past maxBackpressure instead of dropping frames', async () => {
    const { url, bridges } = await serve(256 * 1024);
    const client = await open(url);
    const clientClosed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code as number)));
    await new Promise<void>((resolve) => {
      const check = () => (bridges.length > 0 ? resolve() : setTimeout(check, 5));
      check();
    });
    const bridge = bridges[0]!;
    const closed = new Promise<number>((resolve) => bridge.once('close', (code: number) => resolve(code)));
    client._socket.pause(); // the reader stops reading; kernel buffers fill, then uWS's buffer
    const frame = new Uint8Array(64 * 1024);
    let sent = 0;
    while (bridge.readyState === READY_STATE.Open && sent < 4096) {
      bridge.send(frame);
      sent++;
      if (sent % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(bridge.readyState).toBe(READY_STATE.Closed);
    expect(await closed).toBe(1013);
    client.terminate();
    await clientClosed;
  });

  it('checks frames Hocuspocus re-emits after authentication, and each checked frame only once', async () => {
    // Like Hocuspocus: frames of a document still authenticating are queued and re-emitted later
    // with emit('message'); the guard must see them then, rewritten frames pass on as they are.
    let authenticated = false;
    const checked: number[] = [];
    const inbound = (frame: Uint8Array): InboundVerdict => {
      checked.push(frame[0] ?? -1);
      if (!authenticated) return { kind: 'later' };
      if (frame[0] === 9) return { kind: 'drop' };
      return { kind: 'forward', frame: new Uint8Array([frame[0] ?? 0, 42]) };
    };
    const { url, bridges } = await serve(1 << 20, { inbound });
    const client = await open(url);
    await new Promise<void>((resolve) => {
      const check = () => (bridges.length > 0 ? resolve() : setTimeout(check, 5));
      check();
    });
    const bridge = bridges[0]!;
    const queued: Buffer[] = [];
    const seen: number[][] = [];
    const passed: Buffer[] = [];
    bridge.on('message', (data: Buffer) => {
      if (!authenticated) return queued.push(data);
      passed.push(data);
      return seen.push([...data]);
    });
    client.send(new Uint8Array([1, 0]));
    client.send(new Uint8Array([9, 0]));
    await new Promise<void>((resolve) => {
      const check = () => (queued.length === 2 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(seen).toEqual([]);
    authenticated = true;
    for (const frame of queued) bridge.emit('message', frame);
    expect(seen).toEqual([[1, 42]]); // rewritten; the 9 frame was dropped
    // A frame the guard already passed is not checked (or rewritten) a second time.
    const before = checked.length;
    client.send(new Uint8Array([2, 0]));
    await new Promise<void>((resolve) => {
      const check = () => (seen.length === 2 ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(seen[1]).toEqual([2, 42]);
    expect(checked.length).toBe(before + 1);
    bridge.emit('message', passed[1]);
    expect(seen[2]).toEqual([2, 42]);
    expect(checked.length).toBe(before + 1);
  });
});
