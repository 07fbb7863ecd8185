/*
 * What a simulated strategy is run on (the scenario) and what it leaves (the counts the report
 * and the cost model are made of), with the tally it keeps on the way.
 */
import type { SchedulePolicy } from '../src/domain/schedule/schedule.js';
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

/** What one strategy did in the measured span. */
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
  /**
   * Seen-set sizes at each poll in the measured span that found new events (the cursor item read
   * and written).
   */
  cursorSeenSizes: Int32Array;
}

export class Tally {
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

export function finishRun(tally: Tally, events: number, unpublished: number): StrategyRun {
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

/** Events dated in the measured span. */
export function measuredEvents(events: FleetEvents, measureTo: number): number {
  let count = 0;
  for (const at of events.times) if (at >= 0 && at < measureTo) count++;
  return count;
}

/** The `q`-quantile of sorted values (nearest rank), `NaN` when empty. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
