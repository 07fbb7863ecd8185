import { describe, expect, it } from 'vitest';
import type { FeedRun } from './change-feed.js';
import { runFeedLoop } from './run-feed-loop.js';

describe('runFeedLoop', () => {
  it('reads once per interval until the next read would start past the deadline', async () => {
    let now = 1_000;
    const readsAt: number[] = [];
    const feed = {
      async runOnce(at: number): Promise<FeedRun> {
        readsAt.push(at);
        now += 2_000; // a read takes 2 s
        return { kind: 'skipped', until: 0 };
      },
    };
    const seen: FeedRun[] = [];
    const runs = await runFeedLoop(feed, {
      intervalMs: 30_000,
      deadline: 1_000 + 45_000,
      clock: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      onRun: (run) => seen.push(run),
    });
    // At 0 s and 30 s of the invocation; 60 s is past the deadline.
    expect(readsAt).toEqual([1_000, 31_000]);
    expect(runs).toHaveLength(2);
    expect(seen).toEqual(runs);
  });

  it('reads once when the deadline is already near, so every invocation reads', async () => {
    const feed = { runOnce: async (): Promise<FeedRun> => ({ kind: 'skipped', until: 0 }) };
    const runs = await runFeedLoop(feed, {
      intervalMs: 30_000,
      deadline: 5,
      clock: () => 5,
      sleep: async () => {},
    });
    expect(runs).toHaveLength(1);
  });
});
