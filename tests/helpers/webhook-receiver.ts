import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered: an HTTP status, or `hang` (never answered). */
  answer: number | 'hang';
}

/** A real HTTP receiver on 127.0.0.1; `answer(n)` decides the reply to the n-th request (0-based). */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server, readonly url: string, public answer: (n: number) => number | 'hang') {}

  static async start(answer: (n: number) => number | 'hang', port = 0): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const self = receiver!;
        const reply = self.answer(self.received.length);
        self.received.push({ headers: request.headers, body, answer: reply });
        if (reply === 'hang') return;
        response.writeHead(reply, { 'content-type': 'text/plain' }).end(reply < 300 ? 'ok' : 'nope');
      });
    });
    server.on('connection', (socket: Socket) => {
      receiver?.sockets.add(socket);
      socket.on('close', () => receiver?.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${address.port}/hook`, answer);
    return receiver;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Requests answered 2xx. */
  accepted(): Received[] {
    return this.received.filter((request) => typeof request.answer === 'number' && request.answer < 300);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
