import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

type Decoded = ReturnType<typeof Y.decodeUpdate>;
type Struct = Decoded['structs'][number];

/**
 * Encodes structs and a delete set (as `Y.decodeUpdate` returns them) back into a v1 update.
 * Yjs has no public encoder for a decoded update; this is its own layout (`writeStructs` and
 * `writeDeleteSet` in yjs): per run of contiguous structs of one client, the count, the client,
 * the first clock, then each struct; then the delete set. Used to rewrite the content of items
 * (an author field) without changing their ids or lengths.
 */
export function encodeDecodedUpdate(decoded: Decoded): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const runs: Struct[][] = [];
  for (const struct of decoded.structs) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    // A run's clocks are implied by the lengths after the first: start a new run at any gap.
    if (run && last && last.id.client === struct.id.client && last.id.clock + last.length === struct.id.clock) run.push(struct);
    else runs.push([struct]);
  }
  encoding.writeVarUint(encoder.restEncoder, runs.length);
  for (const run of runs) {
    const first = run[0] as Struct;
    encoding.writeVarUint(encoder.restEncoder, run.length);
    encoder.writeClient(first.id.client);
    encoding.writeVarUint(encoder.restEncoder, first.id.clock);
    for (const struct of run) struct.write(encoder, 0);
  }
  const clients = [...decoded.ds.clients.entries()].sort((a, b) => b[0] - a[0]);
  encoding.writeVarUint(encoder.restEncoder, clients.length);
  for (const [client, items] of clients) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, items.length);
    for (const item of items) {
      encoder.writeDsClock(item.clock);
      encoder.writeDsLen(item.len);
    }
  }
  return encoder.toUint8Array();
}
