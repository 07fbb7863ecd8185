/*
 * The change-feed mode of the scale simulation: the feed's own code (`ChangeFeed`, which runs
 * `readChangeFeed`) reads the org's event log every `intervalMs`, each of its requests taking a
 * quota slot; its hints go through the priority lane's own decision (`hintedSchedule`); each tick
 * (60 s of slots) polls at most `laneLimit(slots a tick, hintShare)` hinted customers, then the
 * ones the backstop walk claims (`isDueOnWalk`), whose idle interval is capped by the backstop
 * (`policy.maxIntervalMs`): every customer is known to the feed and it stays healthy, so after a
 * poll a customer is off the due index until a hint puts it in the lane.
 *
 * Simplifications: a feed read is evaluated at its start and its requests take the next slots; a
 * poll takes no time beyond its latencies, so no hint lands on a claimed customer; the run starts
 * from the layout's steady state (everyone off the index); no tick runs out of room, so no walked
 * customer goes back on the index.
 */

import { changeFeedConfig } from '../src/config/change-feed-settings.js';
import type { SettingsEnv } from '../src/config/setting-schemas.js';
import { NUMBER_RULES, SETTING_SCHEMAS } from '../src/config/setting-schemas.js';
import { isDueOnWalk, WALK_SEGMENTS, walkPassMs } from '../src/domain/feed/backstop-walk.js';
import { ChangeFeed, type ChangeFeedSettings } from '../src/domain/feed/change-feed.js';
import type { FeedCursor } from '../src/domain/feed/feed-cursor.js';
import { FeedLearning } from '../src/domain/feed/feed-learning.js';
import { hintedSchedule, laneLimit } from '../src/domain/feed/priority-lane.js';
import type { HintOutcome, IdentifierIndex } from '../src/domain/ports.js';
import { type Schedule, scheduleAfterPoll, stalenessMs } from '../src/domain/schedule/schedule.js';
import { DueHeap } from './due-heap.js';
import type { FleetEvents } from './fleet-activity.js';
import { FleetWindows } from './fleet-windows.js';
import { LOG_EPOCH_MS, type OrgEventLog, watchedIdentifier } from './org-event-log.js';
import { customerIds, settledSchedules } from './scale-simulation.js';
import {
  type FleetScenario,
  finishRun,
  measuredEvents,
  type StrategyRun,
  Tally,
} from './strategy-run.js';

/** `CHANGE_FEED_HINT_MAX_SHARE`'s default: share of a tick's slots hinted customers may take. */
export const DEFAULT_HINT_SHARE: number = NUMBER_RULES.CHANGE_FEED_HINT_MAX_SHARE.default;

const TICK_MS = 60_000;

/** What the feed did in the measured span, beside the polls. */
export interface FeedModeRun extends StrategyRun {
  feedReads: number;
  /** Log requests: each took a quota slot. */
  feedRequests: number;
  /** Polls of hinted customers (lane polls). */
  lanePolls: number;
  /** Polls of customers off the due index, claimed by the backstop walk. */
  walkedPolls: number;
  /** How long one pass of the walk took (`walkPassMs`). */
  walkPassMs: number;
  /** The most lane polls one tick took. */
  maxLanePollsInATick: number;
  hintsMarked: number;
  hintsDropped: number;
  /** Identifier values looked up in the index (keys of its BatchGetItems). */
  identifierLookups: number;
  /** Bytes of the feed cursor item at each load and at each save. */
  feedCursorLoadBytes: number[];
  feedCursorSaveBytes: number[];
  /** Records the feed read once each, those with no watched customer, and full slices not split. */
  feedRecords: number;
  unmatchedRecords: number;
  saturatedSlices: number;
  /** The furthest the feed's cursor fell behind (ms). */
  maxFeedLagMs: number;
}

export interface FeedOptions {
  feed: ChangeFeedSettings;
  hintShare: number;
  /** Bytes of the feed cursor item as the store writes it. */
  feedCursorItemBytes: (cursor: FeedCursor) => number;
  seenCapacity: number;
  random: () => number;
}

/** The feed's settings at their defaults, for a quota of `requestsPerMinute`. */
export function defaultChangeFeedSettings(requestsPerMinute: number): ChangeFeedSettings {
  const names = [
    'CHANGE_FEED',
    'CHANGE_FEED_INTERVAL_SECONDS',
    'CHANGE_FEED_MAX_SHARE',
    'CHANGE_FEED_LAG_SECONDS',
    'CHANGE_FEED_LOOK_BACK_SECONDS',
    'CHANGE_FEED_LIMIT',
    'CHANGE_FEED_PATH',
    'CHANGE_FEED_DATE_FORMAT',
    'CHANGE_FEED_EVENT_NAMES',
    'CHANGE_FEED_IDENTIFIER_FIELDS',
  ] as const;
  const env: Record<string, unknown> = Object.fromEntries(
    names.map((name) => [name, SETTING_SCHEMAS[name].parse(undefined)]),
  );
  env.CAPILLARY_RPS = SETTING_SCHEMAS.CAPILLARY_RPS.parse(String(requestsPerMinute / 60));
  return changeFeedConfig(env as SettingsEnv).feed;
}

/** Every watched customer's identifier is in the index (all given on `watch add`). */
class WatchedIndex implements IdentifierIndex {
  measuring = false;
  lookups = 0;
  private readonly byIdentifier = new Map<string, string>();

  constructor(ids: readonly string[]) {
    ids.forEach((customerId, customer) => {
      this.byIdentifier.set(watchedIdentifier(customer), customerId);
    });
  }

  async resolve(identifiers: readonly string[]): Promise<Map<string, string>> {
    // `readChangeFeed` asks each value once a read, as the real index gets them.
    if (this.measuring) this.lookups += identifiers.length;
    const found = new Map<string, string>();
    for (const identifier of identifiers) {
      const customerId = this.byIdentifier.get(identifier);
      if (customerId !== undefined) found.set(identifier, customerId);
    }
    return found;
  }

  async learn(): Promise<void> {}
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export async function runFeedMode(
  events: FleetEvents,
  log: OrgEventLog,
  scenario: FleetScenario,
  options: FeedOptions,
): Promise<FeedModeRun> {
  const { customers, policy } = scenario;
  const start = -scenario.warmupHours * 3_600_000;
  const measureTo = scenario.hours * 3_600_000;
  const stop = measureTo + scenario.drainHours * 3_600_000;
  const slotMs = 60_000 / scenario.requestsPerMinute;
  const measured = (at: number) => at >= 0 && at < measureTo;
  const ids = customerIds(customers);
  const { schedules, entries } = settledSchedules(ids, policy, start, options.random);
  const lane = new DueHeap(entries);
  // Off the index once claimed (the feed is healthy throughout): keyed by when the walk claims
  // each, and polled most urgent first among the indexed ones, by its deadline.
  const walkEntries = ids.map((customerId) => ({ customerId, nextPollAt: 0 }));
  const walked = new DueHeap(walkEntries);
  const windows = new FleetWindows(events, scenario, options.seenCapacity);
  const tally = new Tally();
  const run = {
    feedReads: 0,
    feedRequests: 0,
    lanePolls: 0,
    walkedPolls: 0,
    walkPassMs: walkPassMs({ intervalMs: policy.maxIntervalMs }),
    maxLanePollsInATick: 0,
    hintsMarked: 0,
    hintsDropped: 0,
    feedCursorLoadBytes: [] as number[],
    feedCursorSaveBytes: [] as number[],
    feedRecords: 0,
    unmatchedRecords: 0,
    saturatedSlices: 0,
    maxFeedLagMs: 0,
  };
  let measuring = false;
  let stored: { cursor: FeedCursor; bytes: number } | undefined;
  const index = new WatchedIndex(ids);
  const hints = {
    async markHinted(customerId: string, startTime: number): Promise<HintOutcome> {
      const customer = Number(customerId) - 500_000_000;
      const schedule = schedules[customer] as Schedule;
      // The decision reads epoch times, as the store's does: the simulation's clock is negative
      // during the warm-up, which would read as a lane time and drop every hint.
      const hinted = hintedSchedule(
        {
          ...schedule,
          nextPollAt: schedule.nextPollAt + LOG_EPOCH_MS,
          lastPolledAt:
            schedule.lastPolledAt === null ? null : schedule.lastPolledAt + LOG_EPOCH_MS,
        },
        startTime,
      );
      if (hinted === undefined) return 'dropped';
      schedules[customer] = { ...schedule, nextPollAt: hinted.nextPollAt };
      (entries[customer] as { nextPollAt: number }).nextPollAt = hinted.nextPollAt;
      walked.remove(customer);
      lane.push(customer);
      return 'due-now';
    },
  };
  const cursors = {
    async loadFeedCursor() {
      if (stored !== undefined && measuring) run.feedCursorLoadBytes.push(stored.bytes);
      return stored?.cursor;
    },
    async saveFeedCursor(next: FeedCursor): Promise<'saved'> {
      stored = { cursor: { ...next, version: next.version + 1 }, bytes: 0 };
      stored.bytes = options.feedCursorItemBytes(stored.cursor);
      if (measuring) run.feedCursorSaveBytes.push(stored.bytes);
      return 'saved';
    },
  };
  const feed = new ChangeFeed(
    { log, index, learning: new FeedLearning(), cursors, hints, logger: silent },
    options.feed,
  );
  const laneCap = laneLimit(scenario.requestsPerMinute, options.hintShare) as number;
  // The walk claims a customer at the first visit of its segment that `isDueOnWalk` says so.
  const walkRule = {
    passMs: run.walkPassMs,
    backstop: { intervalMs: policy.maxIntervalMs, feedHealthy: true },
    maxIntervalMs: policy.maxIntervalMs,
  };
  const walkClaimAt = (customer: number, schedule: Schedule, after: number): number => {
    const offset = ((customer % WALK_SEGMENTS) / WALK_SEGMENTS) * walkRule.passMs;
    const walked = { customerId: '', claimedUntil: null, ...schedule };
    for (let pass = Math.floor((after - start - offset) / walkRule.passMs); ; pass++) {
      // A segment is scanned at the first tick once its share of the pass has passed.
      const visit = start + Math.ceil((pass * walkRule.passMs + offset) / TICK_MS) * TICK_MS;
      if (visit > after && isDueOnWalk(walked, visit, walkRule)) return visit;
    }
  };
  // The steady state of the layout: every customer the feed knows has been claimed under the
  // backstop before, so it starts off the index, where the walk finds it (a 4-hour warm-up could
  // not get there by itself with a backstop of a day). Only hinted customers go on the index.
  // Its polls come a pass or less before the bound: the last one somewhere in the bound less a pass.
  const settledSpan = policy.maxIntervalMs - walkRule.passMs;
  for (let customer = 0; customer < customers; customer++) {
    const lastPolledAt = Math.floor(start - options.random() * settledSpan);
    const schedule = {
      ...(schedules[customer] as Schedule),
      nextPollAt: lastPolledAt + policy.maxIntervalMs,
      lastPolledAt,
    };
    schedules[customer] = schedule;
    (walkEntries[customer] as { nextPollAt: number }).nextPollAt = walkClaimAt(
      customer,
      schedule,
      start - 1,
    );
    walked.push(customer);
  }
  let nextFeedAt = start;
  let feedSlotsOwed = 0;
  let tick = -1;
  let laneThisTick = 0;

  for (let slot = 0; start + slot * slotMs < stop; slot++) {
    const now = start + slot * slotMs;
    const slotTick = Math.floor((now - start) / TICK_MS);
    if (slotTick !== tick) {
      tick = slotTick;
      laneThisTick = 0;
    }
    if (now >= nextFeedAt) {
      measuring = measured(now);
      index.measuring = measuring;
      log.now = now;
      const requestsBefore = log.requests;
      const read = await feed.runOnce(now + LOG_EPOCH_MS);
      const requests = log.requests - requestsBefore;
      feedSlotsOwed += requests;
      if (measuring) {
        run.feedReads += 1;
        run.feedRequests += requests;
        if (read.kind === 'read') {
          run.hintsMarked += read.hintsDueNow;
          run.hintsDropped += read.hintsDropped;
          run.feedRecords += read.counts.newRecords;
          run.unmatchedRecords += read.counts.unmatched;
          run.saturatedSlices += read.counts.saturatedSlices;
          run.maxFeedLagMs = Math.max(run.maxFeedLagMs, read.counts.lagMs);
        }
      }
      nextFeedAt += options.feed.intervalMs;
    }
    if (feedSlotsOwed > 0) {
      feedSlotsOwed -= 1;
      if (measured(now)) tally.slots++;
      continue;
    }
    let customer: number;
    const walkedAt =
      walked.size > 0
        ? (walkEntries[walked.peek()] as { nextPollAt: number }).nextPollAt
        : Infinity;
    const fromLane = lane.size > 0 && laneThisTick < laneCap;
    const fromWalk = !fromLane && walkedAt <= now;
    if (fromLane) customer = lane.peek();
    else if (fromWalk) customer = walked.peek();
    else {
      // Nobody to poll: the slots until the next feed read, due customer or tick go unused.
      let next = Math.min(nextFeedAt, walkedAt);
      if (lane.size > 0) next = Math.min(next, start + (tick + 1) * TICK_MS);
      const nextSlot = Math.max(slot + 1, Math.ceil((next - start) / slotMs));
      for (let skipped = slot; skipped < nextSlot; skipped++) {
        if (measured(start + skipped * slotMs)) tally.slots++;
      }
      slot = nextSlot - 1;
      continue;
    }
    const schedule = schedules[customer] as Schedule;
    if (measured(now)) {
      tally.slots++;
      tally.polls++;
      tally.maxStalenessMs = Math.max(tally.maxStalenessMs, stalenessMs(schedule, start, now));
      if (fromLane) run.lanePolls++;
      if (fromWalk) run.walkedPolls++;
    }
    if (fromLane) {
      laneThisTick++;
      lane.remove(customer);
      if (measured(now)) run.maxLanePollsInATick = Math.max(run.maxLanePollsInATick, laneThisTick);
    } else walked.remove(customer);
    const { active, doneAt } = windows.pollAt(customer, now, tally, measureTo);
    if (active && measured(now)) tally.activePolls++;
    const after = scheduleAfterPoll(schedule, policy, active ? 'active' : 'idle', doneAt, now);
    schedules[customer] = after;
    (walkEntries[customer] as { nextPollAt: number }).nextPollAt = walkClaimAt(
      customer,
      after,
      now,
    );
    walked.push(customer);
  }
  for (const schedule of schedules) {
    tally.maxStalenessMs = Math.max(tally.maxStalenessMs, stalenessMs(schedule, start, measureTo));
  }
  return {
    ...finishRun(tally, measuredEvents(events, measureTo), windows.unpublished(measureTo)),
    ...run,
    identifierLookups: index.lookups,
  };
}
