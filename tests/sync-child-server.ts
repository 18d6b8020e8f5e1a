// A real sync server in its own process, for the kill -9 test: node --import tsx tests/sync-child-server.ts <dir>
// Prints "READY <port>" when listening. POST /test/project/<sessionId> with a JSON view projects it
// and answers only once projectSession has resolved (acknowledged = durable for the state doc too).
import { startSyncServer } from './sync-harness.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: sync-child-server.ts <dir>');
  process.exit(2);
}

const server = await startSyncServer({
  dir,
  sessions: ['s1'],
  onApp: (app) => {
    app.post('/test/project/:id', (res, req) => {
      const id = req.getParameter(0) ?? '';
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const chunks: Buffer[] = [];
      res.onData((chunk, isLast) => {
        chunks.push(Buffer.from(new Uint8Array(chunk)));
        if (!isLast) return;
        const view: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        server.sync.projectSession(id, view).then(
          () => !aborted && res.cork(() => res.end('ok')),
          (error: unknown) => !aborted && res.cork(() => res.writeStatus('500 Internal Server Error').end(String(error))),
        );
      });
    });
  },
});
process.stdout.write(`READY ${server.port}\n`);
