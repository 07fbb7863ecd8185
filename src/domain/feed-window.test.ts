import { describe, expect, it } from 'vitest';
import { nextFeedWindow, splitSlice } from './feed-window.js';

describe('feed windows', () => {
  it('start the lag allowance before where the last read stopped', () => {
    expect(nextFeedWindow(100_000, 130_000, 20_000)).toEqual({ fromMs: 80_000, toMs: 130_000 });
    expect(nextFeedWindow(5_000, 130_000, 20_000)).toEqual({ fromMs: 0, toMs: 130_000 });
    expect(nextFeedWindow(130_000, 130_000, 20_000)).toBeUndefined();
  });

  it('split into halves that share their middle, until the floor', () => {
    expect(splitSlice({ fromMs: 0, toMs: 10_000 }, 1_000)).toEqual([
      { fromMs: 0, toMs: 5_000 },
      { fromMs: 5_000, toMs: 10_000 },
    ]);
    expect(splitSlice({ fromMs: 0, toMs: 1_000 }, 1_000)).toBeUndefined();
    expect(splitSlice({ fromMs: 0, toMs: 1 }, 0)).toBeUndefined();
  });
});
