import { describe, expect, it } from 'vitest';
import { compareMostOverdue, type Schedule } from '../schedule/schedule.js';
import { hintedSchedule, hintTimeOf, isInLane, laneDueAt, laneLimit } from './priority-lane.js';

const T = Date.parse('2026-12-07T12:00:00Z');
const polledBefore: Schedule = {
  nextPollAt: T + 3_600_000,
  idlePolls: 7,
  lastPolledAt: T - 60_000,
};

describe('the priority lane', () => {
  it('puts a hinted customer before every customer the schedule made due, oldest hint first', () => {
    const overdueByADay = { customerId: '1', nextPollAt: T - 86_400_000 };
    const hintedLate = { customerId: '2', nextPollAt: laneDueAt(T + 1_000) };
    const hintedEarly = { customerId: '3', nextPollAt: laneDueAt(T) };
    const order = [overdueByADay, hintedLate, hintedEarly].sort(compareMostOverdue);
    expect(order.map((entry) => entry.customerId)).toEqual(['3', '2', '1']);
  });

  it('keeps the event time exactly, and tells lane times from schedule times', () => {
    const due = laneDueAt(T);
    expect(isInLane(due)).toBe(true);
    expect(isInLane(T)).toBe(false);
    expect(isInLane(0)).toBe(false);
    expect(hintTimeOf(due)).toBe(T);
    expect(Number.isSafeInteger(laneDueAt(Date.parse('9999-12-31T23:59:59Z')))).toBe(true);
    expect(isInLane(laneDueAt(Date.parse('9999-12-31T23:59:59Z')))).toBe(true);
  });

  it('moves a customer polled before the event into the lane', () => {
    expect(hintedSchedule(polledBefore, T)).toEqual({ ...polledBefore, nextPollAt: laneDueAt(T) });
    const neverPolled = { ...polledBefore, lastPolledAt: null };
    expect(hintedSchedule(neverPolled, T)?.nextPollAt).toBe(laneDueAt(T));
  });

  it('drops a hint for a customer polled at or after the event', () => {
    expect(hintedSchedule({ ...polledBefore, lastPolledAt: T }, T)).toBeUndefined();
    expect(hintedSchedule({ ...polledBefore, lastPolledAt: T + 5 }, T)).toBeUndefined();
  });

  it('makes a burst of hints for one customer one poll', () => {
    const first = hintedSchedule(polledBefore, T) as Schedule;
    expect(hintedSchedule(first, T + 1_000)).toBeUndefined();
    expect(hintedSchedule(first, T - 1_000)).toBeUndefined();
  });

  it('caps the lane at a share of a tick, never below one, never above the tick', () => {
    expect(laneLimit(1_000, 0.5)).toBe(500);
    expect(laneLimit(3, 0.1)).toBe(1);
    expect(laneLimit(2, 1)).toBe(2);
    expect(laneLimit(undefined, 0.5)).toBeUndefined();
  });
});
