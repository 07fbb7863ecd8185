import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_QUOTA_STATE,
  largestExcess,
  pausedState,
  type QuotaPolicy,
  type QuotaState,
  quotaUse,
  reserveSlots,
  slotReadiness,
} from './gcra.js';

const policy: QuotaPolicy = { ratePerSecond: 10, burst: 5 };

describe('reserveSlots', () => {
  it('gives a fresh budget its burst at once, then one slot per 1/rate second', () => {
    const now = 1_000_000;
    const first = reserveSlots(EMPTY_QUOTA_STATE, policy, 7, now);
    // Tolerance 400 ms: the first 5 slots are already due, the next ones 100 ms apart.
    expect(first.slots).toEqual([
      now - 400,
      now - 300,
      now - 200,
      now - 100,
      now,
      now + 100,
      now + 200,
    ]);
    expect(first.state.tat).toBe(now + 300);
    const second = reserveSlots(first.state, policy, 2, now);
    expect(second.slots).toEqual([now + 300, now + 400]);
  });

  it('does not hand out budget twice, nor unused budget older than the burst', () => {
    const state: QuotaState = { tat: 5_000, pausedUntil: 0 };
    expect(reserveSlots(state, policy, 1, 4_000).slots).toEqual([5_000]);
    expect(reserveSlots(state, policy, 1, 60_000).slots).toEqual([59_600]);
  });

  it('starts no slot inside a pause, and a shorter pause never shortens a longer one', () => {
    const paused = pausedState(pausedState(EMPTY_QUOTA_STATE, 9_000), 7_000);
    expect(paused.pausedUntil).toBe(9_000);
    expect(reserveSlots(paused, policy, 2, 8_000).slots).toEqual([9_000, 9_100]);
  });
});

describe('slotReadiness', () => {
  it('waits for a future slot, serves a due one, and expires one older than the tolerance', () => {
    expect(slotReadiness(1_000, 900, policy)).toEqual({ kind: 'wait', ms: 100 });
    expect(slotReadiness(1_000, 1_400, policy)).toEqual({ kind: 'ready' });
    expect(slotReadiness(1_000, 1_401, policy)).toEqual({ kind: 'expired' });
  });
});

describe('largestExcess and quotaUse', () => {
  it('measure a window over the budget and a budget kept full', () => {
    expect(largestExcess([0, 0, 0, 0, 0, 0], policy)).toBe(1);
    const steady = Array.from({ length: 50 }, (_, index) => index * 100);
    expect(largestExcess(steady, policy)).toBeLessThanOrEqual(0);
    expect(quotaUse(steady, policy)).toBeCloseTo(50 / (49 + 5));
  });
});

type Step =
  | { kind: 'advance'; ms: number }
  | { kind: 'reserve'; taker: number; count: number }
  | { kind: 'use'; taker: number; times: number }
  | { kind: 'pause'; ms: number };

describe('the shared budget, over any interleaving of takers', () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 700 }) }),
    fc.record({
      kind: fc.constant('reserve' as const),
      taker: fc.integer({ min: 0, max: 3 }),
      count: fc.integer({ min: 1, max: 25 }),
    }),
    fc.record({
      kind: fc.constant('use' as const),
      taker: fc.integer({ min: 0, max: 3 }),
      times: fc.integer({ min: 1, max: 12 }),
    }),
    fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 2_000 }) }),
  );

  it('never uses more than rate × window + burst slots in any window', () => {
    fc.assert(
      fc.property(
        fc.record({
          ratePerSecond: fc.double({ min: 0.5, max: 500, noNaN: true }),
          burst: fc.integer({ min: 1, max: 12 }),
        }),
        fc.array(step, { minLength: 1, maxLength: 250 }),
        (quota, steps) => {
          let now = 1_000_000;
          let state = EMPTY_QUOTA_STATE;
          const held: number[][] = [[], [], [], []];
          const grants: number[] = [];
          for (const current of steps) {
            if (current.kind === 'advance') now += current.ms;
            if (current.kind === 'pause') state = pausedState(state, now + current.ms);
            if (current.kind === 'reserve') {
              const reserved = reserveSlots(state, quota, current.count, now);
              state = reserved.state;
              held[current.taker]?.push(...reserved.slots);
            }
            if (current.kind === 'use') {
              const slots = held[current.taker] ?? [];
              for (let use = 0; use < current.times; use++) {
                for (let slot = slots.shift(); slot !== undefined; slot = slots.shift()) {
                  const readiness = slotReadiness(slot, now, quota);
                  if (readiness.kind === 'expired') continue;
                  // A taker that must wait sends at the slot's time.
                  grants.push(readiness.kind === 'ready' ? now : slot);
                  break;
                }
              }
            }
          }
          expect(largestExcess(grants, quota)).toBeLessThanOrEqual(1e-6); // float rounding of the slot times;
        },
      ),
      { numRuns: 300 },
    );
  });
});
