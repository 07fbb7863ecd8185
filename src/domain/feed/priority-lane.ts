import type { Schedule } from '../schedule/schedule.js';

/*
 * The priority lane: customers the change feed saw active go before everything the schedule made
 * due. The lane is the bottom of the due order itself: a hint sets the customer's `nextPollAt` to
 * its event's time shifted below zero, so the due index (sorted by `nextPollAt`) lists hinted
 * customers first, oldest hint first, with no second index to keep in step. Claiming leaves the
 * lane like any due time, so a hinted customer then goes the normal way (claim, fetch, detect,
 * publish, save) and a hint can never publish twice.
 *
 * Pure: the DynamoDB store, the sweeps and the scale benchmark all run this same code.
 */

/**
 * How far below its event's time a hinted customer's due time is put. 2^52 ms keeps every lane
 * time negative for any event before the year 144,683 and exactly representable (|x| < 2^53).
 */
const LANE_SHIFT_MS = 2 ** 52;

/** The due time of a customer hinted by an event at `startTime`: negative, so first in line. */
export function laneDueAt(startTime: number): number {
  return Math.floor(startTime) - LANE_SHIFT_MS;
}

/** Whether a due time is in the lane (a hint's), not the schedule's. */
export function isInLane(nextPollAt: number): boolean {
  return nextPollAt < 0;
}

/** The event time a lane due time stands for. */
export function hintTimeOf(nextPollAt: number): number {
  return nextPollAt + LANE_SHIFT_MS;
}

/**
 * The schedule after a hint for an event at `startTime`, or `undefined` when the hint is no news:
 * - the customer is already in the lane (a burst of hints for one customer is one poll);
 * - it was polled at or after `startTime` (that poll saw the event).
 * The DynamoDB store writes the same decision as one conditional update (`markHinted`).
 */
export function hintedSchedule(schedule: Schedule, startTime: number): Schedule | undefined {
  if (isInLane(schedule.nextPollAt)) return undefined;
  if (schedule.lastPolledAt !== null && schedule.lastPolledAt >= startTime) return undefined;
  return { ...schedule, nextPollAt: laneDueAt(startTime) };
}

/**
 * How many hinted customers one tick or sweep may take of its `limit`, so the schedule (the
 * staleness bound of customers the feed never mentions) always keeps the rest. Without a limit
 * the sweep takes every due customer anyway, lane first.
 */
export function laneLimit(limit: number | undefined, hintShare: number): number | undefined {
  if (limit === undefined) return undefined;
  // At least one, or a small tick (`SWEEP_MAX_POLLS` of 2, say) would never serve a hint.
  return Math.min(limit, Math.max(1, Math.floor(limit * hintShare)));
}
