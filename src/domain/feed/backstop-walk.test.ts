import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isDueOnWalk,
  WALK_SEGMENTS,
  type WalkedCustomer,
  type WalkPosition,
  walkPassMs,
  walkStep,
} from './backstop-walk.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-07T00:00:00Z');
const PASS = walkPassMs({ intervalMs: 24 * HOUR });

function customer(overrides: Partial<WalkedCustomer> = {}): WalkedCustomer {
  return {
    customerId: '42',
    nextPollAt: T0 + 20 * HOUR,
    idlePolls: 20,
    lastPolledAt: T0 - 4 * HOUR,
    claimedUntil: null,
    ...overrides,
  };
}

describe('walkStep', () => {
  it('starts a pass with its first segment and spreads the rest over the pass', () => {
    const first = walkStep(undefined, T0, PASS);
    expect([first.from, first.to]).toEqual([0, 1]);
    // Half a pass on: half the segments are due.
    const half = walkStep(first.next, T0 + PASS / 2, PASS);
    expect([half.from, half.to]).toEqual([1, Math.min(WALK_SEGMENTS / 2 + 1, 1 + 8)]);
  });

  it('catches up at most 8 segments a step, then rests until the next pass begins', () => {
    let position: WalkPosition | undefined;
    let now = T0;
    const scanned: number[] = [];
    for (let step = 0; step < 20; step++) {
      const { from, to, next } = walkStep(position, now, PASS);
      expect(to - from).toBeLessThanOrEqual(8);
      for (let segment = from; segment < to; segment++) scanned.push(segment);
      position = next;
      now += PASS / 4;
    }
    // Each segment once a pass, in order: the first pass whole, and the next ones begun.
    expect(scanned.slice(0, WALK_SEGMENTS)).toEqual(
      Array.from({ length: WALK_SEGMENTS }, (_, index) => index),
    );
    const done = { passStartedAt: T0, nextSegment: WALK_SEGMENTS, version: 3 };
    expect(walkStep(done, T0 + PASS - 1, PASS)).toMatchObject({ from: 64, to: 64, next: done });
    expect(walkStep(done, T0 + PASS, PASS).next).toMatchObject({
      passStartedAt: T0 + PASS,
      nextSegment: 1,
    });
  });

  it('starts afresh, not racing, after falling more than a pass behind', () => {
    const done = { passStartedAt: T0, nextSegment: WALK_SEGMENTS, version: 3 };
    const { from, to, next } = walkStep(done, T0 + 5 * PASS, PASS);
    expect([from, to]).toEqual([0, 1]);
    expect(next.passStartedAt).toBe(T0 + 5 * PASS);
  });

  it('visits every segment within a pass plus a step, however often it is called', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 600_000 }), { minLength: 1, maxLength: 400 }),
        (gaps) => {
          let position: WalkPosition | undefined;
          let now = T0;
          const lastVisit = new Map<number, number>();
          let worstGap = 0;
          for (const gap of gaps) {
            const { from, to, next } = walkStep(position, now, PASS);
            for (let segment = from; segment < to; segment++) {
              const before = lastVisit.get(segment);
              if (before !== undefined) worstGap = Math.max(worstGap, now - before);
              lastVisit.set(segment, now);
            }
            position = next;
            now += gap;
          }
          // Called at least every 10 minutes: a segment comes back within a pass, give or take
          // one call's gap and one segment's share.
          expect(worstGap).toBeLessThanOrEqual(PASS + 600_000 + PASS / WALK_SEGMENTS);
        },
      ),
    );
  });
});

describe('isDueOnWalk', () => {
  const healthy = { intervalMs: 24 * HOUR, feedHealthy: true };
  const down = { intervalMs: 24 * HOUR, feedHealthy: false };
  const rule = (backstop: typeof healthy) => ({ passMs: PASS, backstop, maxIntervalMs: 2 * HOUR });

  it('claims a customer the walk would otherwise reach only after its bound', () => {
    const dueInAPass = customer({ nextPollAt: T0 + PASS });
    expect(isDueOnWalk(dueInAPass, T0, rule(healthy))).toBe(true);
    expect(isDueOnWalk(customer({ nextPollAt: T0 + 2 * PASS }), T0, rule(healthy))).toBe(false);
  });

  it('bounds it by the staleness bound, not the backstop, while the feed is down', () => {
    const polledLongAgo = customer({ lastPolledAt: T0 - 3 * HOUR, nextPollAt: T0 + 20 * HOUR });
    expect(isDueOnWalk(polledLongAgo, T0, rule(healthy))).toBe(false);
    expect(isDueOnWalk(polledLongAgo, T0, rule(down))).toBe(true);
  });

  it('leaves a customer someone holds to its holder', () => {
    const held = customer({ nextPollAt: T0, claimedUntil: T0 + 60_000 });
    expect(isDueOnWalk(held, T0, rule(healthy))).toBe(false);
    expect(isDueOnWalk({ ...held, claimedUntil: T0 }, T0, rule(healthy))).toBe(true);
  });
});
