/*
 * A discrete-event simulation of a fleet of watched customers polled under one Capillary quota,
 * by the poller's own schedule (src/domain/schedule/schedule.ts, imported, not copied) and by plain round
 * robin, against the same events. Each customer's Capillary window holds its last `windowSize`
 * events: events that scroll out before a poll sees them are lost.
 *
 * The poller is modelled as the quota allows it to be at best: one request slot every
 * 60 / requestsPerMinute seconds; at each slot the schedule polls the most overdue due customer
 * (a slot with nobody due stays unused), round robin polls the next customer in a fixed cycle.
 */
import {
  intervalAfter,
  type PollOutcome,
  type Schedule,
  type SchedulePolicy,
  scheduleAfterPoll,
  stalenessMs,
} from '../src/domain/schedule/schedule.js';
import { DueHeap } from './due-heap.js';
import type { FleetEvents } from './fleet-activity.js';
import { FleetWindows } from './fleet-windows.js';
import {
  type FleetScenario,
  finishRun,
  measuredEvents,
  type StrategyRun,
  Tally,
} from './strategy-run.js';

export interface FleetRun {
  schedule: StrategyRun;
  roundRobin: StrategyRun;
}

const HOUR = 3_600_000;

/** Watched customers' ids, as the poller knows them. */
export function customerIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => String(500_000_000 + index));
}

/**
 * Every customer's schedule when the simulation starts at `start`: watched for long, idle polls
 * have taken each to its longest interval, and their next polls are spread over that interval.
 */
export function settledSchedules(
  ids: readonly string[],
  policy: SchedulePolicy,
  start: number,
  random: () => number,
): { schedules: Schedule[]; entries: { customerId: string; nextPollAt: number }[] } {
  const settledIdlePolls = Math.ceil(Math.log2(policy.maxIntervalMs / policy.minIntervalMs)) + 1;
  const interval = intervalAfter(policy, settledIdlePolls);
  const schedules: Schedule[] = [];
  const entries = ids.map((customerId) => {
    const nextPollAt = Math.floor(start + random() * interval);
    schedules.push({
      nextPollAt,
      idlePolls: settledIdlePolls,
      lastPolledAt: nextPollAt - interval,
    });
    return { customerId, nextPollAt };
  });
  return { schedules, entries };
}

/**
 * The poller's schedule alone: the most overdue due customer at each slot.
 */
function runSchedule(
  events: FleetEvents,
  scenario: FleetScenario,
  seenCapacity: number,
  random: () => number,
): StrategyRun {
  const { customers, policy } = scenario;
  const start = -scenario.warmupHours * HOUR;
  const measureTo = scenario.hours * HOUR;
  const stop = measureTo + scenario.drainHours * HOUR;
  const slotMs = 60_000 / scenario.requestsPerMinute;
  const { schedules, entries } = settledSchedules(customerIds(customers), policy, start, random);
  const queue = new DueHeap(entries);
  for (let customer = 0; customer < customers; customer++) queue.push(customer);
  const windows = new FleetWindows(events, scenario, seenCapacity);
  const tally = new Tally();
  const measured = (at: number) => at >= 0 && at < measureTo;

  for (let slot = 0; start + slot * slotMs < stop; slot++) {
    let now = start + slot * slotMs;
    const customer = queue.peek();
    const entry = entries[customer] as { customerId: string; nextPollAt: number };
    if (entry.nextPollAt > now) {
      // Nobody is due: the slots until the first customer is due go unused.
      const nextSlot = Math.ceil((entry.nextPollAt - start) / slotMs);
      for (let skipped = slot; skipped < nextSlot; skipped++) {
        if (measured(start + skipped * slotMs)) tally.slots++;
      }
      slot = nextSlot;
      now = start + slot * slotMs;
      if (now >= stop) break;
    }
    const schedule = schedules[customer] as Schedule;
    if (measured(now)) {
      tally.slots++;
      tally.polls++;
      tally.maxStalenessMs = Math.max(tally.maxStalenessMs, stalenessMs(schedule, start, now));
    }
    const { active, doneAt } = windows.pollAt(customer, now, tally, measureTo);
    if (active && measured(now)) tally.activePolls++;
    const outcome: PollOutcome = active ? 'active' : 'idle';
    const after = scheduleAfterPoll(schedule, policy, outcome, doneAt);
    schedules[customer] = after;
    entry.nextPollAt = after.nextPollAt;
    queue.update(customer);
  }
  for (const schedule of schedules) {
    tally.maxStalenessMs = Math.max(tally.maxStalenessMs, stalenessMs(schedule, start, measureTo));
  }
  return finishRun(tally, measuredEvents(events, measureTo), windows.unpublished(measureTo));
}

/** The baseline: every customer in turn, at the full quota, whatever its activity. */
function runRoundRobin(
  events: FleetEvents,
  scenario: FleetScenario,
  seenCapacity: number,
): StrategyRun {
  const { customers } = scenario;
  const start = -scenario.warmupHours * HOUR;
  const measureTo = scenario.hours * HOUR;
  const stop = measureTo + scenario.drainHours * HOUR;
  const slotMs = 60_000 / scenario.requestsPerMinute;
  // Settled: customer c was last polled one cycle before its turn.
  const cycleMs = customers * slotMs;
  const lastPolledAt = Float64Array.from(
    { length: customers },
    (_, customer) => start - cycleMs + customer * slotMs,
  );
  const windows = new FleetWindows(events, scenario, seenCapacity);
  const tally = new Tally();
  for (let slot = 0; start + slot * slotMs < stop; slot++) {
    const now = start + slot * slotMs;
    const customer = slot % customers;
    const measuredNow = now >= 0 && now < measureTo;
    if (measuredNow) {
      tally.slots++;
      tally.polls++;
      const staleness = now - (lastPolledAt[customer] as number);
      tally.maxStalenessMs = Math.max(tally.maxStalenessMs, staleness);
    }
    const { active, doneAt } = windows.pollAt(customer, now, tally, measureTo);
    if (active && measuredNow) tally.activePolls++;
    lastPolledAt[customer] = doneAt;
  }
  for (const at of lastPolledAt) {
    tally.maxStalenessMs = Math.max(tally.maxStalenessMs, measureTo - at);
  }
  return finishRun(tally, measuredEvents(events, measureTo), windows.unpublished(measureTo));
}

/** Both strategies against the same events. */
export function simulateFleet(
  events: FleetEvents,
  scenario: FleetScenario,
  options: { seenCapacity: number; random: () => number },
): FleetRun {
  return {
    schedule: runSchedule(events, scenario, options.seenCapacity, options.random),
    roundRobin: runRoundRobin(events, scenario, options.seenCapacity),
  };
}
