import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hintedSchedule } from '../feed/priority-lane.js';
import {
  compareMostOverdue,
  initialSchedule,
  intervalAfter,
  type SchedulePolicy,
  scheduleAfterPoll,
  stalenessMs,
} from './schedule.js';

const policy: SchedulePolicy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };

describe('schedule', () => {
  it('makes a new customer due at once', () => {
    expect(initialSchedule(1_000)).toEqual({ nextPollAt: 1_000, idlePolls: 0, lastPolledAt: null });
  });

  it('doubles the interval with each idle poll, up to the longest', () => {
    expect([0, 1, 2, 3, 5, 6, 7, 100].map((idle) => intervalAfter(policy, idle) / 1000)).toEqual([
      60, 120, 240, 480, 1920, 3600, 3600, 3600,
    ]);
  });

  it('turns tiers off when the longest interval equals the shortest', () => {
    const flat = { minIntervalMs: 60_000, maxIntervalMs: 60_000 };
    let schedule = initialSchedule(0);
    for (let poll = 1; poll <= 5; poll++) {
      schedule = scheduleAfterPoll(schedule, flat, 'idle', poll * 60_000);
      expect(schedule.nextPollAt - poll * 60_000).toBe(60_000);
    }
  });

  it('dates a poll from its start, so a hint for an event during the poll is not taken as seen', () => {
    const after = scheduleAfterPoll(initialSchedule(0), policy, 'idle', 10_000, 7_000);
    expect(after).toEqual({ nextPollAt: 10_000 + 120_000, idlePolls: 1, lastPolledAt: 7_000 });
    // An event dated at 8 s, logged after the poll ended: its hint is no news only if
    // lastPolledAt says so, and it does not.
    expect(hintedSchedule(after, 8_000)?.nextPollAt).toBeLessThan(0);
  });

  it('brings an idle customer back to the shortest interval when it has new events', () => {
    let schedule = initialSchedule(0);
    for (let poll = 1; poll <= 8; poll++) schedule = scheduleAfterPoll(schedule, policy, 'idle', 0);
    expect(schedule.nextPollAt).toBe(3_600_000);
    const active = scheduleAfterPoll(schedule, policy, 'active', 10_000);
    expect(active).toEqual({ nextPollAt: 70_000, idlePolls: 0, lastPolledAt: 10_000 });
  });

  it('retries a failed customer at its own tier and keeps its last successful poll', () => {
    const before = { nextPollAt: 0, idlePolls: 2, lastPolledAt: 5 };
    expect(scheduleAfterPoll(before, policy, 'failed', 1_000)).toEqual({
      nextPollAt: 1_000 + 240_000,
      idlePolls: 2,
      lastPolledAt: 5,
    });
  });

  it('never schedules a customer further out than the longest interval', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom('active', 'idle', 'failed') as fc.Arbitrary<'active' | 'idle' | 'failed'>,
        ),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 100 }),
        (outcomes, minSeconds, factor) => {
          const bounds = {
            minIntervalMs: minSeconds * 1000,
            maxIntervalMs: minSeconds * 1000 * factor,
          };
          let schedule = initialSchedule(0);
          let now = 0;
          for (const outcome of outcomes) {
            now = schedule.nextPollAt;
            schedule = scheduleAfterPoll(schedule, bounds, outcome, now);
            const wait = schedule.nextPollAt - now;
            expect(wait).toBeGreaterThanOrEqual(bounds.minIntervalMs);
            expect(wait).toBeLessThanOrEqual(bounds.maxIntervalMs);
          }
        },
      ),
    );
  });

  it('orders the most overdue first, ties by customer id', () => {
    const due = [
      { customerId: '3', nextPollAt: 50 },
      { customerId: '2', nextPollAt: 10 },
      { customerId: '1', nextPollAt: 50 },
    ];
    expect(due.sort(compareMostOverdue).map((entry) => entry.customerId)).toEqual(['2', '1', '3']);
  });

  it('measures staleness from the last poll, or from when the customer was watched', () => {
    expect(stalenessMs({ lastPolledAt: null }, 1_000, 61_000)).toBe(60_000);
    expect(stalenessMs({ lastPolledAt: 31_000 }, 1_000, 61_000)).toBe(30_000);
  });
});
