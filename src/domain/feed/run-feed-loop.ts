import type { FeedRun } from './change-feed.js';

export interface FeedLoopOptions {
  /** `CHANGE_FEED_INTERVAL_SECONDS` in ms: one read per interval. */
  intervalMs: number;
  /** Epoch ms: no read starts after it (the invocation's end, less a read's length). */
  deadline: number;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Called after each read (its metrics). */
  onRun?: (run: FeedRun) => void;
}

/**
 * Reads the change feed once per interval until the next read would start past `deadline`: the
 * feed Lambda's loop inside one invocation (one invocation at a time, so one cursor writer).
 * Returns the runs; `runOnce` never throws.
 */
export async function runFeedLoop(
  feed: { runOnce(now: number): Promise<FeedRun> },
  options: FeedLoopOptions,
): Promise<FeedRun[]> {
  const runs: FeedRun[] = [];
  let next = options.clock();
  while (next <= options.deadline) {
    const wait = next - options.clock();
    if (wait > 0) await options.sleep(wait);
    const run = await feed.runOnce(options.clock());
    runs.push(run);
    options.onRun?.(run);
    next += options.intervalMs;
  }
  return runs;
}
