import { describe, expect, it } from 'vitest';
import { feedCursorItem, feedCursorItemBytes } from '../../bench/cursor-item-size.js';
import {
  DEFAULT_HINT_SHARE,
  defaultChangeFeedSettings,
  type FeedOptions,
  runFeedMode,
} from '../../bench/feed-simulation.js';
import { type FleetEvents, seededRandom } from '../../bench/fleet-activity.js';
import { buildOrgEventLog, LOG_EPOCH_MS } from '../../bench/org-event-log.js';
import { simulateFleet } from '../../bench/scale-simulation.js';
import { type FleetScenario, quantile } from '../../bench/strategy-run.js';
import { dynamoItemSize } from '../../src/adapters/dynamodb/dynamodb-item-size.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function scenario(overrides: Partial<FleetScenario> = {}): FleetScenario {
  return {
    customers: 20,
    hours: 2,
    warmupHours: 0.5,
    drainHours: 0.5,
    requestsPerMinute: 60,
    windowSize: 50,
    policy: { minIntervalMs: MINUTE, maxIntervalMs: HOUR },
    fetchLatencyMs: 50,
    publishLatencyMs: 30,
    ...overrides,
  };
}

/** Customer c's events at the given minutes. */
function eventsAt(perCustomer: number[][]): FleetEvents {
  const times: number[] = [];
  const offsets = [0];
  for (const minutes of perCustomer) {
    times.push(...minutes.map((minute) => minute * MINUTE));
    offsets.push(times.length);
  }
  return { offsets: Int32Array.from(offsets), times: Float64Array.from(times) };
}

function logOf(events: FleetEvents, unwatchedPerSecond = 0.05) {
  return buildOrgEventLog(events, {
    fromMs: -HOUR,
    toMs: 3 * HOUR,
    unwatchedPerSecond,
    maxLagMs: 10_000,
    duplicateShare: 0.01,
    notStoredShare: 0.02,
    seed: 7,
  });
}

function feedOptions(overrides: Partial<FeedOptions> = {}): FeedOptions {
  return {
    feed: defaultChangeFeedSettings(60),
    hintShare: DEFAULT_HINT_SHARE,
    feedCursorItemBytes: (cursor) => feedCursorItemBytes(cursor.recent.length),
    seenCapacity: 200,
    random: seededRandom(1),
    ...overrides,
  };
}

/** 20 dormant customers, each with one event in the measured span, a minute apart. */
const dormant = eventsAt(Array.from({ length: 20 }, (_, customer) => [30 + customer]));

describe('the change-feed mode', () => {
  it("polls a dormant customer's event within 2 feed intervals and a tick; the schedule alone waits its idle interval", async () => {
    const fed = await runFeedMode(
      dormant,
      logOf(dormant),
      scenario({ policy: { minIntervalMs: MINUTE, maxIntervalMs: 6 * HOUR } }),
      feedOptions(),
    );
    expect(fed.published).toBe(20);
    expect(quantile(fed.delays, 1)).toBeLessThanOrEqual((2 * 30_000 + MINUTE) / 1000);
    expect(fed.lanePolls).toBe(20);

    const alone = simulateFleet(dormant, scenario(), {
      seenCapacity: 200,
      random: seededRandom(1),
    });
    expect(quantile(alone.schedule.delays, 0.5)).toBeGreaterThan(10 * 60);
  });

  it('takes a quota slot for every log request: with everyone always due, polls and requests fill the quota', async () => {
    const busy = eventsAt(Array.from({ length: 200 }, (_, customer) => [30 + (customer % 60)]));
    const run = await runFeedMode(
      busy,
      logOf(busy, 2),
      scenario({ customers: 200, policy: { minIntervalMs: MINUTE, maxIntervalMs: MINUTE } }),
      feedOptions(),
    );
    expect(run.feedRequests).toBeGreaterThanOrEqual(run.feedReads);
    expect(run.polls + run.feedRequests).toBe(60 * 60 * 2);
  });

  it('never lets hinted customers take more than their share of a tick', async () => {
    const burst = eventsAt(Array.from({ length: 50 }, () => [30]));
    const run = await runFeedMode(
      burst,
      logOf(burst),
      scenario({ customers: 50, policy: { minIntervalMs: MINUTE, maxIntervalMs: 6 * HOUR } }),
      feedOptions({ hintShare: 0.1 }),
    );
    // Every event goes out; hints carry almost all of them (the walk may get to one first).
    expect(run.published).toBe(50);
    expect(run.lanePolls).toBeGreaterThan(40);
    expect(run.maxLanePollsInATick).toBe(6);
  });

  it('counts feed reads, cursor loads and saves and index lookups of the measured span only', async () => {
    const run = await runFeedMode(dormant, logOf(dormant), scenario(), feedOptions());
    expect(run.feedReads).toBe((2 * HOUR) / 30_000);
    expect(run.feedCursorSaveBytes).toHaveLength(run.feedReads);
    expect(run.feedCursorLoadBytes).toHaveLength(run.feedReads);
    expect(run.hintsMarked).toBe(20);
    expect(run.identifierLookups).toBeGreaterThanOrEqual(20);
  });
});

describe('the org event log', () => {
  it('serves appeared records in the window, newest first, at most the limit', async () => {
    const log = logOf(eventsAt([[0, 1, 2, 3]]), 0);
    log.now = 10 * MINUTE;
    const page = await log.readEventLog({
      fromMs: LOG_EPOCH_MS,
      toMs: LOG_EPOCH_MS + 2 * MINUTE,
      limit: 2,
    });
    if (page.kind !== 'records') throw new Error('expected records');
    expect(page.records.map((record) => record.startTime - LOG_EPOCH_MS)).toEqual([
      2 * MINUTE,
      MINUTE,
    ]);
    // Records appear up to 10 s late: at 90 s the one dated 2 minutes is not there yet.
    log.now = 1.5 * MINUTE;
    const early = await log.readEventLog({
      fromMs: LOG_EPOCH_MS,
      toMs: LOG_EPOCH_MS + 2 * MINUTE,
      limit: 10,
    });
    if (early.kind !== 'records') throw new Error('expected records');
    expect(early.records.map((record) => record.startTime - LOG_EPOCH_MS)).toEqual([MINUTE, 0]);
  });
});

describe('the feed cursor item size', () => {
  it('is linear in its record ids, as measured whole', () => {
    expect(feedCursorItemBytes(300)).toBe(dynamoItemSize(feedCursorItem(300)));
  });
});
