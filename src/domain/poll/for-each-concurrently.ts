// The one concurrency pool (a sweep's polls, a worker's share of a tick). Our own rather than
// p-limit or p-map: the limit is read again before every start, so it follows the quota and the
// observed latency (adaptive-concurrency.ts), where p-map fixes it when called; an item is taken
// from the source only once a slot is free and time is left, which matters when taking it is a
// claim on a customer; and it never settles while a task still runs (p-map rejects at the first
// error while started work goes on), so a sweep cannot end with polls still publishing.

export interface PoolOptions {
  /** Tasks in flight at most, read before each start (at least one runs). */
  limit: () => number;
  /** Read before each item is taken: `true` stops taking items; those started still finish. */
  stop?: () => boolean;
}

/**
 * Runs `work` for each item of `items`, in order, with at most `limit()` in flight, and settles
 * once every started task has. An item is taken from `items` only when a slot is free and `stop`
 * says go on. A task that throws stops new starts; its error is rethrown once the rest finish, as
 * is one from `items`. Returns how many items were started.
 */
export async function forEachConcurrently<T>(
  items: Iterable<T> | AsyncIterable<T>,
  work: (item: T, index: number) => Promise<void>,
  options: PoolOptions,
): Promise<number> {
  const source =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let exhausted = false;
  let started = 0;
  try {
    while (!failure && !options.stop?.()) {
      const next = await source.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const task = work(next.value, started++)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      while (inFlight.size >= Math.max(1, Math.floor(options.limit()))) {
        await Promise.race(inFlight);
      }
    }
  } catch (error) {
    // The source itself failed: it is finished, nothing to close.
    failure ??= { error };
    exhausted = true;
  } finally {
    await Promise.all(inFlight);
  }
  // Stopped early: the source is closed (a generator's `finally` runs), as `for await` would.
  if (!exhausted) await source.return?.();
  if (failure) throw failure.error;
  return started;
}
