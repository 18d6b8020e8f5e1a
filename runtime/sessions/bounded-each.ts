/**
 * Runs `fn` on every item of `source` (read as it comes, e.g. a LevelDB iterator), at most `limit`
 * at a time: restoring a session waits mostly on storage, so a few overlap well, and a bound keeps
 * a data dir of thousands of sessions from opening them all at once. Every item is tried; the
 * first failure is thrown once all have settled.
 */
export async function boundedEach<T>(source: AsyncIterable<T> | Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  for await (const item of source) {
    const step: Promise<void> = fn(item)
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => running.delete(step));
    running.add(step);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw (failure as { error: unknown }).error;
}
