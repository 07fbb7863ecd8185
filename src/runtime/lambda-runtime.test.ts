import { describe, expect, it } from 'vitest';
import { invocationDeadlines, tickDeadline, tickRequestsBy } from './lambda-runtime.js';

describe('invocationDeadlines', () => {
  it('starts work until one poll’s bound (the request timeout plus 5 s) before the end, publishes until 5 s before it, and ends every request 1 s before it', () => {
    // A 15-minute worker with a 10 s request timeout keeps 15 s back, not 30% of its time.
    expect(invocationDeadlines(0, 900_000, 10_000)).toEqual({
      deadline: 885_000,
      publishBy: 895_000,
      requestsBy: 899_000,
    });
    expect(invocationDeadlines(1_000, 50_000, 10_000)).toEqual({
      deadline: 36_000,
      publishBy: 46_000,
      requestsBy: 50_000,
    });
  });

  it('keeps at least 5 s back, and at most half of what remains', () => {
    expect(invocationDeadlines(0, 60_000, 0).deadline).toBe(55_000);
    expect(invocationDeadlines(0, 20_000, 10_000).deadline).toBe(10_000);
  });
});

describe('tickDeadline', () => {
  it('stops claiming in the last 20% of the time, at least 5 s before the end', () => {
    expect(tickDeadline(0, 100_000)).toBe(80_000);
    expect(tickDeadline(1_000, 20_000)).toBe(16_000);
  });

  it('ends every request of the tick 1 s before the invocation ends', () => {
    expect(tickRequestsBy(1_000, 20_000)).toBe(20_000);
  });
});
