import { describeError } from '../errors.js';
import type { FeedCursorStore, Logger } from '../ports.js';
import type { SchedulePolicy } from '../schedule/schedule.js';

/*
 * The backstop: with a healthy change feed, a customer whose identifier the feed knows is hinted
 * when it becomes active, so its idle polls only guard against what the feed misses. Its interval
 * then doubles up to the backstop bound (`CHANGE_FEED_BACKSTOP_SECONDS`), not the staleness bound
 * (`MAX_POLL_INTERVAL_SECONDS`): far fewer polls, quota and DynamoDB writes for dormant customers.
 * The staleness bound still holds for customers the feed never mentions, and for every customer
 * while the feed is down. Claimed under the backstop, a customer leaves the due index, and the
 * backstop walk (`backstop-walk.ts`) finds it.
 *
 * Pure: the claims, the DynamoDB store and the scale benchmark all run this same code.
 */

/**
 * What the feed can vouch for, per customer:
 * - `none`: no identifier known; the schedule's staleness bound;
 * - `bounded`: identifier known, scheduled under the staleness bound (the feed was down when it
 *   was last claimed, or it has not been claimed since its identifier became known);
 * - `backstop`: identifier known, scheduled under the backstop bound while the feed was healthy.
 */
export type FeedCoverage = 'none' | 'bounded' | 'backstop';

/** What a tick or sweep knows of the feed when it claims. */
export interface BackstopOptions {
  /** `CHANGE_FEED_BACKSTOP_SECONDS` × 1000; never shorter than the staleness bound. */
  intervalMs: number;
  /** The feed read the log recently (`isFeedHealthy`): its hints can be relied on. */
  feedHealthy: boolean;
}

/** Reads further apart than this many intervals and the feed is not relied on. */
const HEALTHY_WITHIN_INTERVALS = 3;

/**
 * Whether the feed has read the log up to within a few of its intervals of `now`. `readTo` is its
 * cursor's (`FeedCursor.readTo`), `undefined` before its first read.
 */
function isFeedHealthy(readTo: number | undefined, now: number, intervalMs: number): boolean {
  return readTo !== undefined && now - readTo <= HEALTHY_WITHIN_INTERVALS * intervalMs;
}

/** The coverage a claim records: the backstop only for a known customer while the feed is healthy. */
export function coverageAfterClaim(
  coverage: FeedCoverage,
  backstop: BackstopOptions | undefined,
): FeedCoverage {
  if (coverage === 'none') return 'none';
  return backstop?.feedHealthy ? 'backstop' : 'bounded';
}

/** The schedule policy of a customer with `coverage`: its idle intervals stop at the backstop bound. */
export function policyFor(
  policy: SchedulePolicy,
  coverage: FeedCoverage,
  backstop: BackstopOptions | undefined,
): SchedulePolicy {
  if (coverage !== 'backstop' || backstop === undefined) return policy;
  return { ...policy, maxIntervalMs: Math.max(policy.maxIntervalMs, backstop.intervalMs) };
}

/**
 * While the feed is down, how much earlier than its `nextPollAt` a customer scheduled under the
 * backstop is due: its last poll was at most one backstop interval before `nextPollAt`, so it has
 * been stale for the staleness bound once `nextPollAt - (backstop - bound)` has passed.
 */
export function backstopDueShiftMs(policy: SchedulePolicy, backstop: BackstopOptions): number {
  if (backstop.feedHealthy) return 0;
  return Math.max(0, backstop.intervalMs - policy.maxIntervalMs);
}

/**
 * The backstop as a tick or sweep finds it at `now`: healthy when the feed's cursor shows a recent
 * read. Without a feed, or when its cursor cannot be read, the feed is not relied on: customers
 * it covers are due by the staleness bound (the feed's own metrics and alarm report why).
 */
export async function currentBackstop(
  cursors: Pick<FeedCursorStore, 'loadFeedCursor'> | undefined,
  now: number,
  settings: { backstopMs: number; feedIntervalMs: number },
  logger?: Logger,
): Promise<BackstopOptions> {
  let readTo: number | undefined;
  try {
    readTo = (await cursors?.loadFeedCursor())?.readTo;
  } catch (error) {
    logger?.warn(
      'Change feed cursor not read: customers it covers are due by MAX_POLL_INTERVAL_SECONDS',
      {
        reason: describeError(error),
      },
    );
    readTo = undefined;
  }
  return {
    intervalMs: settings.backstopMs,
    feedHealthy: isFeedHealthy(readTo, now, settings.feedIntervalMs),
  };
}
