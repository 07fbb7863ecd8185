import { describe, expect, it } from 'vitest';
import { nextFeedWindow, restOfFullSlice } from './feed-window.js';

describe('feed windows', () => {
  it('start the lag allowance before where the last read stopped', () => {
    expect(nextFeedWindow(100_000, 130_000, 20_000)).toEqual({ fromMs: 80_000, toMs: 130_000 });
    expect(nextFeedWindow(5_000, 130_000, 20_000)).toEqual({ fromMs: 0, toMs: 130_000 });
    expect(nextFeedWindow(130_000, 130_000, 20_000)).toBeUndefined();
  });

  it('split an answer in no order into halves that share their middle, until the floor', () => {
    const bounds = { minWidthMs: 1_000, instantMs: 1 };
    expect(restOfFullSlice({ fromMs: 0, toMs: 10_000 }, [9_000, 1_000, 5_000], bounds)).toEqual([
      { fromMs: 0, toMs: 5_000 },
      { fromMs: 5_000, toMs: 10_000 },
    ]);
    expect(restOfFullSlice({ fromMs: 0, toMs: 1_000 }, [900, 100, 500], bounds)).toBeUndefined();
  });

  it('page a full answer like a cursor: newest first leaves the older rest, its last instant included', () => {
    const slice = { fromMs: 0, toMs: 100_000 };
    // Ten records, newest first, from 99 s down to 90 s: everything after 90 s is read.
    const newestFirst = Array.from({ length: 10 }, (_, index) => 99_000 - index * 1_000);
    expect(restOfFullSlice(slice, newestFirst, { minWidthMs: 1_000, instantMs: 1_000 })).toEqual([
      { fromMs: 0, toMs: 91_000 },
    ]);
    // Oldest first leaves the newer rest.
    const oldestFirst = [...newestFirst].reverse();
    expect(restOfFullSlice(slice, oldestFirst, { minWidthMs: 1_000, instantMs: 1_000 })).toEqual([
      { fromMs: 98_000, toMs: 100_000 },
    ]);
  });

  it('halve what a cursor could not finish within the budget, and answers in no order', () => {
    const slice = { fromMs: 0, toMs: 100_000 };
    const newestFirst = Array.from({ length: 10 }, (_, index) => 99_000 - index * 1_000);
    // At that density the rest holds about 83 records: more than 20 left in the budget.
    expect(
      restOfFullSlice(slice, newestFirst, { minWidthMs: 1_000, instantMs: 1_000, recordsLeft: 20 }),
    ).toEqual([
      { fromMs: 0, toMs: 45_500 },
      { fromMs: 45_500, toMs: 91_000 },
    ]);
    const halves = [
      { fromMs: 0, toMs: 50_000 },
      { fromMs: 50_000, toMs: 100_000 },
    ];
    expect(
      restOfFullSlice(slice, [5_000, 90_000, 20_000], { minWidthMs: 1_000, instantMs: 1 }),
    ).toEqual(halves);
    // All at one instant: no order to page by; halves, down to the floor, then saturated.
    expect(restOfFullSlice(slice, [7_000, 7_000], { minWidthMs: 1_000, instantMs: 1 })).toEqual(
      halves,
    );
    expect(
      restOfFullSlice({ fromMs: 0, toMs: 1_000 }, [500, 500], { minWidthMs: 1_000, instantMs: 1 }),
    ).toBeUndefined();
  });
});
