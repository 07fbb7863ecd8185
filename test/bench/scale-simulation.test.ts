import { describe, expect, it } from 'vitest';
import { generateFleetEvents, REALISTIC_MIX, seededRandom } from '../../bench/fleet-activity.js';
import { simulateFleet } from '../../bench/scale-simulation.js';
import { type FleetScenario, quantile } from '../../bench/strategy-run.js';

const MINUTE = 60_000;

function scenario(overrides: Partial<FleetScenario> = {}): FleetScenario {
  return {
    customers: 4,
    hours: 2,
    warmupHours: 0,
    drainHours: 1,
    requestsPerMinute: 60,
    windowSize: 50,
    policy: { minIntervalMs: MINUTE, maxIntervalMs: 16 * MINUTE },
    fetchLatencyMs: 0,
    publishLatencyMs: 0,
    ...overrides,
  };
}

/** Customer c's events at the given minutes. */
function eventsAt(...perCustomer: number[][]) {
  const times: number[] = [];
  const offsets = [0];
  for (const minutes of perCustomer) {
    times.push(...minutes.map((minute) => minute * MINUTE));
    offsets.push(times.length);
  }
  return { offsets: Int32Array.from(offsets), times: Float64Array.from(times) };
}

describe('simulateFleet', () => {
  it('loses the events that scrolled out of the window before a poll, and publishes the rest', () => {
    // Customer 0: 60 events in the same minute, before round robin comes back to it.
    const burst = Array.from({ length: 60 }, () => 10);
    const events = eventsAt(burst, [], [], []);
    const run = simulateFleet(events, scenario({ requestsPerMinute: 1 / 30, drainHours: 2 }), {
      seenCapacity: 200,
      random: seededRandom(1),
    });
    expect(run.roundRobin.scrolledOut).toBe(10);
    expect(run.roundRobin.published).toBe(50);
    expect(run.roundRobin.coverageGaps).toBe(1);
  });

  it('accounts for every event: published, scrolled out or still waiting', () => {
    const events = generateFleetEvents({
      customers: 300,
      fromMs: -MINUTE * 60,
      toMs: MINUTE * 180,
      mix: REALISTIC_MIX,
      seed: 3,
    });
    const run = simulateFleet(events, scenario({ customers: 300, requestsPerMinute: 20 }), {
      seenCapacity: 200,
      random: seededRandom(2),
    });
    for (const strategy of [run.schedule, run.roundRobin]) {
      expect(strategy.events).toBeGreaterThan(0);
      expect(strategy.published + strategy.scrolledOut + strategy.unpublished).toBe(
        strategy.events,
      );
    }
  });

  it('polls a customer with new events again after the shortest interval (activity tiers)', () => {
    // Customer 0 of 16 has an event every minute for 90 minutes; the others never do. With the
    // quota to spare, the schedule keeps it on the 1-minute tier; round robin comes every 4 minutes.
    const busy = Array.from({ length: 90 }, (_, minute) => minute + 0.5);
    const idle = Array.from({ length: 15 }, (): number[] => []);
    const run = simulateFleet(
      eventsAt(busy, ...idle),
      scenario({ customers: 16, requestsPerMinute: 4 }),
      { seenCapacity: 200, random: seededRandom(4) },
    );
    expect(quantile(run.schedule.detectedActiveDelays, 1)).toBeLessThanOrEqual(60);
    expect(quantile(run.roundRobin.delays, 0.5)).toBeGreaterThan(60);
    expect(run.schedule.maxStalenessMs).toBeLessThanOrEqual(16 * MINUTE + MINUTE);
  });

  it('counts cursor writes of the measured span only, like the polls', () => {
    // Customer 0: one event in the warm-up, one in the span, one in the drain.
    const events = eventsAt([-30, 30, 150], [], [], []);
    const run = simulateFleet(events, scenario({ warmupHours: 1 }), {
      seenCapacity: 200,
      random: seededRandom(5),
    });
    for (const strategy of [run.schedule, run.roundRobin]) {
      expect(strategy.activePolls).toBe(1);
      expect(strategy.cursorSeenSizes).toHaveLength(1);
    }
  });
});
