// One free TCP port per running task, for the dev server an agent may start (THALOGOS_TASK_PORT,
// PORT). Reserved when a run starts, released when it ends (its process group is gone by then).
import net from 'node:net';

export interface PortRange {
  from: number;
  to: number;
}

export const DEFAULT_TASK_PORTS: PortRange = { from: 41_000, to: 41_999 };

export class TaskPorts {
  private readonly byTask = new Map<string, number>();
  private readonly taken = new Set<number>();
  private next: number;

  constructor(private readonly range: PortRange = DEFAULT_TASK_PORTS) {
    this.next = range.from;
  }

  /**
   * A port nothing listens on now and no other task holds; the same one again for a task that has
   * one. Round-robin through the range, so a port just released is not handed out at once.
   */
  async reserve(sessionId: string, taskId: string): Promise<number | null> {
    const key = `${sessionId}/${taskId}`;
    const held = this.byTask.get(key);
    if (held !== undefined) return held;
    const size = this.range.to - this.range.from + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = this.next;
      this.next = port >= this.range.to ? this.range.from : port + 1;
      if (this.taken.has(port)) continue;
      this.taken.add(port); // held while probing, so two reservations never pick the same port
      if (await isFree(port)) {
        this.byTask.set(key, port);
        return port;
      }
      this.taken.delete(port);
    }
    return null;
  }

  release(sessionId: string, taskId: string): void {
    const key = `${sessionId}/${taskId}`;
    const port = this.byTask.get(key);
    if (port === undefined) return;
    this.byTask.delete(key);
    this.taken.delete(port);
  }

  get(sessionId: string, taskId: string): number | null {
    return this.byTask.get(`${sessionId}/${taskId}`) ?? null;
  }

  forSession(sessionId: string): Array<{ taskId: string; port: number }> {
    const prefix = `${sessionId}/`;
    return [...this.byTask].filter(([key]) => key.startsWith(prefix)).map(([key, port]) => ({ taskId: key.slice(prefix.length), port }));
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Whether something accepts connections on the port (a dev server is up). */
export function isListening(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
