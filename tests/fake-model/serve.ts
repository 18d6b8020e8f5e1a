// Manual probe: `npx tsx tests/fake-model/serve.ts /abs/file` starts the canonical script and logs requests.
import { startFakeModel } from './server.js';

const target = process.argv[2] ?? '/tmp/fake-model-out.txt';
const s = await startFakeModel({ turns: [{ kind: 'write_file', path: target, content: 'hello from the fake model\n' }, { kind: 'text', text: 'All done.' }] });
console.log(s.url);
setInterval(() => {
  while (s.requests.length > 0) {
    const r = s.requests.shift()!;
    console.log(r.method, r.url, r.protocol, r.status, r.reply, JSON.stringify(r.body).slice(0, 300));
  }
}, 200);
