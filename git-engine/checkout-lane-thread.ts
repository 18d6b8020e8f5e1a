// The second write lane of a large checkout (see checkout-lanes.ts): a plain worker thread that
// writes the tree entries it is sent with synchronous calls and returns their stat data.
import { parentPort } from 'node:worker_threads';
import { writeTreeEntrySync } from './checkout-write.js';
import type { LaneReply, LaneRequest } from './checkout-lanes.js';

parentPort?.on('message', (req: LaneRequest) => {
  const reply: LaneReply = req.jobs.map((j) => {
    try {
      const st = writeTreeEntrySync(req.root, j.rel, j.entry, j.content);
      return { ok: true, st: st && { ctimeNs: st.ctimeNs, mtimeNs: st.mtimeNs, dev: st.dev, ino: st.ino, uid: st.uid, gid: st.gid, size: st.size } };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return { ok: false, code: e.code ?? 'EIO', message: e.message };
    }
  });
  parentPort?.postMessage(reply);
});
