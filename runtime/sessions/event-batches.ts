/**
 * Reads `source` to its end and hands its items to `write` in batches, in order: the first item
 * waits one turn of the event loop (so everything a process printed in one chunk goes together),
 * and whatever arrives while a batch is being written forms the next one (group commit). At most
 * `maxBatch` items wait: past that the reader pauses until the writer caught up, so a producer
 * faster than the disk is slowed to its pace instead of queueing without bound.
 */
export async function inBatches<T>(source: AsyncIterable<T>, write: (batch: T[]) => Promise<void>, maxBatch: number): Promise<void> {
  const buffer: T[] = [];
  let pumping: Promise<void> | null = null;
  let running = false;
  let failure = null as { error: unknown } | null;
  const pump = async (): Promise<void> => {
    running = true;
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (buffer.length > 0) await write(buffer.splice(0, maxBatch));
    } catch (error) {
      // Reported once the source ends; later items still get their own tries.
      failure ??= { error };
    } finally {
      // Synchronous with the emptiness check above: an item pushed after it starts a new pump.
      running = false;
    }
  };
  const kick = (): Promise<void> => {
    if (!running) pumping = pump();
    return pumping!;
  };
  for await (const item of source) {
    buffer.push(item);
    const pending = kick();
    if (buffer.length >= maxBatch) await pending;
  }
  if (running) await pumping;
  if (buffer.length > 0) await kick();
  if (failure) throw failure.error;
}
