import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/adapters/capillary/capillary-transport.js';
import { QuotaWaitError } from '../../../src/domain/errors.js';

function clock(start = 0) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('serves a full bucket at once, then one request per 1/rate second, first come first served', () => {
    const time = clock();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 2, now: time.now });
    const waits = Array.from({ length: 6 }, () => bucket.reserve());
    expect(waits).toEqual([0, 0, 500, 1000, 1500, 2000]);
    expect(bucket.available()).toBe(-4);
  });

  it('refills with time, never above the burst size', () => {
    const time = clock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: time.now });
    for (let i = 0; i < 3; i += 1) expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(100);
    time.advance(250); // +2.5 tokens, 1 was owed
    expect(bucket.available()).toBeCloseTo(1.5);
    time.advance(60_000);
    expect(bucket.available()).toBe(3);
  });

  it('never lets more than burst + rate * t requests start within t', () => {
    const time = clock();
    const rate = 5;
    const burst = 2;
    const bucket = new TokenBucket({ ratePerSecond: rate, burst, now: time.now });
    // 40 requests arriving every 10 ms: each starts at arrival + its wait.
    const starts: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      starts.push(time.now() + bucket.reserve());
      time.advance(10);
    }
    for (const from of starts) {
      for (const window of [200, 1000, 3000]) {
        const inWindow = starts.filter((s) => s >= from && s < from + window).length;
        expect(inWindow).toBeLessThanOrEqual(burst + Math.ceil((rate * window) / 1000));
      }
    }
    // Nobody is dropped: the last one simply waits its turn.
    expect(starts).toHaveLength(40);
    expect(starts.at(-1)).toBeCloseTo((40 - burst) * 200, -1);
  });

  it('defaults the burst to the whole-number rate, at least 1', () => {
    expect(new TokenBucket({ ratePerSecond: 10 }).burst).toBe(10);
    expect(new TokenBucket({ ratePerSecond: 1.6 }).burst).toBe(1);
    expect(new TokenBucket({ ratePerSecond: 0.5 }).burst).toBe(1);
  });

  it('take() sleeps for the reserved wait', async () => {
    const time = clock();
    const slept: number[] = [];
    const bucket = new TokenBucket({
      ratePerSecond: 4,
      burst: 1,
      now: time.now,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    await Promise.all([bucket.take(), bucket.take(), bucket.take()]);
    expect(slept).toEqual([250, 500]);
  });

  it('take() gives up past its longest wait, sending nothing and giving the token back', async () => {
    const time = clock();
    const slept: number[] = [];
    const bucket = new TokenBucket({
      ratePerSecond: 1,
      burst: 1,
      now: time.now,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    await bucket.take(500);
    await expect(bucket.take(500)).rejects.toBeInstanceOf(QuotaWaitError);
    expect(slept).toEqual([]);
    // The refused request took nothing: the next one waits for the same token.
    await bucket.take(1_000);
    expect(slept).toEqual([1_000]);
  });

  it('take() waits out a pause longer than a timer can hold in parts, never at once', async () => {
    const time = clock();
    const slept: number[] = [];
    const bucket = new TokenBucket({
      ratePerSecond: 1,
      now: time.now,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    bucket.pauseFor(2 ** 32);
    await bucket.take();
    expect(slept).toEqual([2 ** 31 - 1, 2 ** 31 - 1, 2]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: Number.NaN })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});

describe('TokenBucket.pauseFor', () => {
  it('holds every request back until the pause ends, then goes back to the rate', () => {
    let clock = 0;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, now: () => clock });
    expect(bucket.reserve()).toBe(0);
    bucket.pauseFor(2_000);
    expect(bucket.reserve()).toBe(2_000);
    clock = 1_500;
    expect(bucket.reserve()).toBe(500);
    clock = 2_000;
    expect(bucket.reserve()).toBe(0);
    // A shorter pause never cuts a longer one short.
    bucket.pauseFor(3_000);
    bucket.pauseFor(1_000);
    expect(bucket.reserve()).toBe(3_000);
  });
});
