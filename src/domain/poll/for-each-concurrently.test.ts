import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from './for-each-concurrently.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('forEachConcurrently', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const results: number[] = [];
    const started = await forEachConcurrently(
      [5, 1, 4, 2, 3, 0],
      async (ms, index) => {
        peak = Math.max(peak, ++running);
        await sleep(ms);
        running--;
        results[index] = ms * 10;
      },
      { limit: () => 2 },
    );
    expect(results).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
    expect(started).toBe(6);
  });

  it('reads the limit before every start, so it can follow the quota', async () => {
    let running = 0;
    const peaks: number[] = [];
    let limit = 1;
    await forEachConcurrently(
      Array.from({ length: 12 }, (_, index) => index),
      async (index) => {
        running++;
        peaks[index] = running;
        if (index === 3) limit = 4;
        await sleep(2);
        running--;
      },
      { limit: () => limit },
    );
    expect(peaks.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(Math.max(...peaks)).toBe(4);
  });

  it('takes no item once told to stop, and closes the source as for-await does', async () => {
    const taken: number[] = [];
    let closed = false;
    async function* source() {
      try {
        for (let index = 0; index < 100; index++) {
          taken.push(index);
          yield index;
        }
      } finally {
        closed = true;
      }
    }
    const done: number[] = [];
    const started = await forEachConcurrently(
      source(),
      async (item) => {
        await sleep(1);
        done.push(item);
      },
      { limit: () => 2, stop: () => taken.length >= 5 },
    );
    expect(started).toBe(5);
    expect(taken).toEqual([0, 1, 2, 3, 4]);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(closed).toBe(true);
  });

  it('lets every started task finish before it rethrows a failure, and starts none after', async () => {
    const finished: number[] = [];
    const attempt = forEachConcurrently(
      [0, 1, 2, 3, 4, 5],
      async (item) => {
        if (item === 1) throw new Error('task 1 broke');
        await sleep(item === 0 ? 20 : 1);
        finished.push(item);
      },
      { limit: () => 3 },
    );
    await expect(attempt).rejects.toThrow('task 1 broke');
    // 0 was in flight with 1 and 2; nothing after 1 failed was started.
    expect(finished.sort()).toEqual([0, 2]);
  });
});
