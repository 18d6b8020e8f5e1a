import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import uWS from 'uWebSockets.js';
import { READY_STATE, UwsSocketBridge } from './uws-socket-bridge.js';

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

async function serve(maxBackpressure: number): Promise<{ url: string; bridges: UwsSocketBridge[] }> {
  const app = uWS.App();
  const bridges: UwsSocketBridge[] = [];
  app.ws<{ bridge?: UwsSocketBridge }>('/b', {
    maxBackpressure,
    maxPayloadLength: 1 << 20,
    open(ws) {
      const bridge = new UwsSocketBridge(ws, { presenceWindowMs: 0 });
      ws.getUserData().bridge = bridge;
      bridges.push(bridge);
      bridge.on('message', (data: Buffer) => bridge.send(data)); // echo
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
});
