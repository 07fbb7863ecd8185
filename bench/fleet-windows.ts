import type { FleetEvents } from './fleet-activity.js';
import type { FleetScenario, Tally } from './strategy-run.js';

const HOUR = 3_600_000;

/**
 * Per customer: which of its events are visible, published or lost. `seen` approximates the
 * cursor's seen set (its window on the first poll, then every acknowledged event), capped.
 */
export class FleetWindows {
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
   * fetch latency later and its events are published a publish latency after that. Only a poll
   * started in the measured span counts its cursor write, as only such polls are counted.
   */
  pollAt(customer: number, now: number, tally: Tally, measureTo: number) {
    const readAt = now + this.scenario.fetchLatencyMs;
    const doneAt = readAt + this.scenario.fetchLatencyMs;
    const publishedAt = doneAt + this.scenario.publishLatencyMs;
    const measured = now >= 0 && now < measureTo;
    return {
      active: this.poll(customer, readAt, publishedAt, tally, measureTo, measured),
      doneAt,
    };
  }

  /** Polls `customer` with its window read at `readAt`; `true` when there were new events. */
  private poll(
    customer: number,
    readAt: number,
    publishedAt: number,
    tally: Tally,
    measureTo: number,
    measured: boolean,
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
    if (measured) tally.cursorSeenSizes.push(seen);
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
