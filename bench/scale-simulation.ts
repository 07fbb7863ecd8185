/*
 * A discrete-event simulation of a fleet of watched customers polled under one Capillary quota,
 * by the poller's own schedule (src/domain/schedule.ts, imported, not copied) and by plain round
 * robin, against the same events. Each customer's Capillary window holds its last `windowSize`
 * events: events that scroll out before a poll sees them are lost.
 *
 * The poller is modelled as the quota allows it to be at best: one request slot every
 * 60 / requestsPerMinute seconds; at each slot the schedule polls the most overdue due customer
 * (a slot with nobody due stays unused), round robin polls the next customer in a fixed cycle.
 */
import {
  compareMostOverdue,
  initialSchedule,
  intervalAfter,
  type PollOutcome,
  type Schedule,
  type SchedulePolicy,
  scheduleAfterPoll,
  stalenessMs,
} from '../src/domain/schedule.js';
import type { FleetEvents } from './fleet-activity.js';

export interface FleetScenario {
  customers: number;
  /** The measured span: events dated in [0, hours) and the quota used meanwhile. */
  hours: number;
  /** Simulated before the measured span, so it starts from a settled state, not a cold start. */
  warmupHours: number;
  /** Polling goes on after the span so that its last events get their chance to be published. */
  drainHours: number;
  requestsPerMinute: number;
  /** Events a customer's Capillary window holds. */
  windowSize: number;
  policy: SchedulePolicy;
  /** From the request to the window read (half the round trip) and on to publication. */
  fetchLatencyMs: number;
  publishLatencyMs: number;
}

/** What one strategy did: the counts the report and the cost model are made of. */
export interface StrategyRun {
  polls: number;
  slots: number;
  activePolls: number;
  /** Polls of customers whose window held more new events than it shows. */
  coverageGaps: number;
  /** Sorted delays (s) from an event's date to its publication, of every published event. */
  delays: Float64Array;
  /** The same, for events of customers that had another event in the hour before. */
  activeDelays: Float64Array;
  /**
   * The same, for events of customers whose activity the poller had already seen: a poll in the
   * hour before the event found new events. What activity tiers can act on.
   */
  detectedActiveDelays: Float64Array;
  events: number;
  published: number;
  scrolledOut: number;
  /** Measured events still unpublished when the simulation ended. */
  unpublished: number;
  maxStalenessMs: number;
  /** Seen-set sizes at each poll that found new events (the cursor item read and written). */
  cursorSeenSizes: Int32Array;
}

export interface FleetRun {
  schedule: StrategyRun;
  roundRobin: StrategyRun;
}

const HOUR = 3_600_000;

class Tally {
  polls = 0;
  slots = 0;
  activePolls = 0;
  coverageGaps = 0;
  delays: number[] = [];
  activeDelays: number[] = [];
  detectedActiveDelays: number[] = [];
  published = 0;
  scrolledOut = 0;
  maxStalenessMs = 0;
  cursorSeenSizes: number[] = [];
}

/**
 * Per customer: which of its events are visible, published or lost. `seen` approximates the
 * cursor's seen set (its window on the first poll, then every acknowledged event), capped.
 */
class FleetWindows {
  private readonly next: Int32Array;
  private readonly seen: Int32Array;
  private readonly lastActivePollAt: Float64Array;

  constructor(
    private readonly events: FleetEvents,
    private readonly scenario: FleetScenario,
    private readonly seenCapacity: number,
  ) {
    this.next = events.offsets.slice(0, scenario.customers);
    this.seen = new Int32Array(scenario.customers).fill(
      Math.min(scenario.windowSize, seenCapacity),
    );
    this.lastActivePollAt = new Float64Array(scenario.customers).fill(Number.NEGATIVE_INFINITY);
  }

  /**
   * A poll started at `now`: its window is read a fetch latency later, the poll is done one more
   * fetch latency later and its events are published a publish latency after that.
   */
  pollAt(customer: number, now: number, tally: Tally, measureTo: number) {
    const readAt = now + this.scenario.fetchLatencyMs;
    const doneAt = readAt + this.scenario.fetchLatencyMs;
    const publishedAt = doneAt + this.scenario.publishLatencyMs;
    return { active: this.poll(customer, readAt, publishedAt, tally, measureTo), doneAt };
  }

  /** Polls `customer` with its window read at `readAt`; `true` when there were new events. */
  private poll(
    customer: number,
    readAt: number,
    publishedAt: number,
    tally: Tally,
    measureTo: number,
  ) {
    const { times, offsets } = this.events;
    const end = offsets[customer + 1] as number;
    const first = this.next[customer] as number;
    let arrived = first;
    while (arrived < end && (times[arrived] as number) <= readAt) arrived++;
    const fresh = arrived - first;
    if (fresh === 0) return false;
    const visibleFrom = Math.max(first, arrived - this.scenario.windowSize);
    const lastActivePollAt = this.lastActivePollAt[customer] as number;
    if (visibleFrom > first) tally.coverageGaps++;
    for (let index = first; index < arrived; index++) {
      const at = times[index] as number;
      if (at < 0 || at >= measureTo) continue;
      if (index < visibleFrom) {
        tally.scrolledOut++;
        continue;
      }
      const delay = (publishedAt - at) / 1000;
      tally.published++;
      tally.delays.push(delay);
      if (index > (offsets[customer] as number) && (times[index - 1] as number) >= at - HOUR) {
        tally.activeDelays.push(delay);
      }
      if (lastActivePollAt >= at - HOUR) tally.detectedActiveDelays.push(delay);
    }
    this.next[customer] = arrived;
    this.lastActivePollAt[customer] = readAt;
    const seen = Math.min(this.seenCapacity, (this.seen[customer] as number) + fresh);
    this.seen[customer] = seen;
    tally.cursorSeenSizes.push(seen);
    return true;
  }

  /** Measured events never published (still waiting when the simulation stopped). */
  unpublished(measureTo: number): number {
    const { times, offsets } = this.events;
    let count = 0;
    for (let customer = 0; customer < this.scenario.customers; customer++) {
      const end = offsets[customer + 1] as number;
      for (let index = this.next[customer] as number; index < end; index++) {
        const at = times[index] as number;
        if (at >= 0 && at < measureTo) count++;
      }
    }
    return count;
  }
}

/** A binary min-heap of customer indices, ordered by the schedule's own `compareMostOverdue`. */
class DueQueue {
  private readonly heap: Int32Array;
  private size = 0;

  constructor(private readonly entries: { customerId: string; nextPollAt: number }[]) {
    this.heap = new Int32Array(entries.length);
  }

  push(customer: number): void {
    let index = this.size++;
    this.heap[index] = customer;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.less(parent, index)) break;
      this.swap(parent, index);
      index = parent;
    }
  }

  peek(): number {
    return this.heap[0] as number;
  }

  /** Re-sorts the top after its `nextPollAt` was moved later. */
  sinkTop(): void {
    let index = 0;
    while (true) {
      const left = 2 * index + 1;
      if (left >= this.size) return;
      const right = left + 1;
      const child = right < this.size && this.less(right, left) ? right : left;
      if (this.less(index, child)) return;
      this.swap(index, child);
      index = child;
    }
  }

  private less(a: number, b: number): boolean {
    return (
      compareMostOverdue(
        this.entries[this.heap[a] as number] as { customerId: string; nextPollAt: number },
        this.entries[this.heap[b] as number] as { customerId: string; nextPollAt: number },
      ) < 0
    );
  }

  private swap(a: number, b: number): void {
    const held = this.heap[a] as number;
    this.heap[a] = this.heap[b] as number;
    this.heap[b] = held;
  }
}

function customerIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => String(500_000_000 + index));
}

function finish(tally: Tally, events: number, unpublished: number): StrategyRun {
  const delays = Float64Array.from(tally.delays).sort();
  const activeDelays = Float64Array.from(tally.activeDelays).sort();
  const detectedActiveDelays = Float64Array.from(tally.detectedActiveDelays).sort();
  return {
    polls: tally.polls,
    slots: tally.slots,
    activePolls: tally.activePolls,
    coverageGaps: tally.coverageGaps,
    delays,
    activeDelays,
    detectedActiveDelays,
    events,
    published: tally.published,
    scrolledOut: tally.scrolledOut,
    unpublished,
    maxStalenessMs: tally.maxStalenessMs,
    cursorSeenSizes: Int32Array.from(tally.cursorSeenSizes),
  };
}

function measuredEvents(events: FleetEvents, measureTo: number): number {
  let count = 0;
  for (const at of events.times) if (at >= 0 && at < measureTo) count++;
  return count;
}

/**
 * The poller's schedule. Before the warm-up every customer has been watched for long and idle
 * polls have taken it to its longest interval; its next polls are spread over that interval.
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
  const ids = customerIds(customers);
  const settledIdlePolls = Math.ceil(Math.log2(policy.maxIntervalMs / policy.minIntervalMs)) + 1;
  const schedules: Schedule[] = [];
  const entries = ids.map((customerId) => {
    const first = initialSchedule(start);
    const settled: Schedule = {
      nextPollAt: Math.floor(start + random() * intervalAfter(policy, settledIdlePolls)),
      idlePolls: settledIdlePolls,
      lastPolledAt: null,
    };
    settled.lastPolledAt = settled.nextPollAt - intervalAfter(policy, settledIdlePolls);
    schedules.push({ ...first, ...settled });
    return { customerId, nextPollAt: settled.nextPollAt };
  });
  const queue = new DueQueue(entries);
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
    queue.sinkTop();
  }
  for (const schedule of schedules) {
    tally.maxStalenessMs = Math.max(tally.maxStalenessMs, stalenessMs(schedule, start, measureTo));
  }
  return finish(tally, measuredEvents(events, measureTo), windows.unpublished(measureTo));
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
  return finish(tally, measuredEvents(events, measureTo), windows.unpublished(measureTo));
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

/** The `q`-quantile of sorted values (nearest rank), `NaN` when empty. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
