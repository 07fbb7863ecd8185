import { claimThenCountBacklog, newClaimOwner } from '../claim/claim-due.js';
import type { ClaimedCustomer } from '../claim/claimed-customer.js';
import { describeError } from '../errors.js';
import type { BackstopOptions } from '../feed/feed-backstop.js';
import { forEachConcurrently } from './for-each-concurrently.js';
import { type ClaimedPollResult, type PollClaimedOptions, pollClaimed } from './poll-claimed.js';
import type { PollDependencies } from './poll-customer.js';

export interface SweepOptions extends PollClaimedOptions {
  /** Polls in flight at once (`POLL_CONCURRENCY`) unless `inFlightLimit` says otherwise. */
  concurrency: number;
  /**
   * Read before each new claim, so the limit can follow the quota and the observed latency.
   * Default: `concurrency`.
   */
  inFlightLimit?: (() => number) | undefined;
  /** `CLAIM_SECONDS`: how long each claim holds. */
  claimSeconds: number;
  /** Epoch ms after which no customer is claimed (the Lambda's remaining time, less a margin). */
  deadline?: number | undefined;
  /** `SWEEP_MAX_POLLS`: no more claims than this in one sweep. */
  maxPolls?: number | undefined;
  /** Of those, the most taken from the priority lane first (`laneLimit`). Unset: no cap. */
  laneLimit?: number | undefined;
  /** The backstop bound and the feed's health (`currentBackstop`). */
  backstop?: BackstopOptions | undefined;
  /** Default: a new id per sweep. */
  owner?: string | undefined;
  /** `CAPILLARY_RPS`: the budget the summary's quota use is measured against. */
  requestsPerSecond?: number | undefined;
  /** Due customers read after the budget is spent, to count the overdue ones. Default 1,000. */
  overdueScanLimit?: number | undefined;
}

interface CustomerFailure {
  customerId: string;
  reason: string;
}

export interface SweepSummary {
  startedAt: string;
  durationMs: number;
  /** Customers this sweep claimed (and so started). */
  claimed: number;
  /** Claimed customers whose poll completed (a failed customer does not count). */
  polled: number;
  baselined: number;
  /**
   * Due customers left for a later sweep: not claimed because the budget was spent (counted up
   * to `overdueScanLimit`), or claimed but not published in time.
   */
  deferred: number;
  newEvents: number;
  published: number;
  parked: number;
  conflicts: number;
  /** Claims that ran out or were taken over before the poll could publish or record its outcome. */
  claimsLost: number;
  /** Polls whose window shared no id with the seen set and was all newer (events may be lost). */
  coverageGaps: number;
  /**
   * A worker's customers it did not take over (another delivery of the message had them, their
   * poll was done, or they were claimed again): skipped, as they should be.
   */
  notTakenOver?: number;
  /** Due customers not polled by this sweep whose staleness exceeds MAX_POLL_INTERVAL_SECONDS. */
  overdue: number;
  /**
   * The oldest staleness among the due customers the sweep read (when claimed, or when it
   * stopped), seconds; `undefined` when none was due. Estimated from the due index.
   */
  oldestStalenessSeconds: number | undefined;
  /** Requests sent to Capillary during the sweep, when the source counts them. */
  requestsSent: number | undefined;
  /** `CAPILLARY_RPS` × the sweep's duration: what `requestsSent` is measured against. */
  requestBudget: number | undefined;
  /** Customers whose window alone did not fit the cursor's byte budget (logged by the poll). */
  cursorsOverBudget?: number;
  /** Schedule items that could not be read, rebuilt from the cursor when claimed (logged). */
  corruptItems?: number;
  maxLagMs: number | undefined;
  /** Customers whose poll failed, or some of whose new events could not be published. */
  failures: CustomerFailure[];
  unpublished: { customerId: string; key: string; eventName: string; reason: string }[];
}

/** A summary with nothing counted yet: the sweep's and each worker's start. */
export function emptySweepSummary(started: Date, claimed = 0): SweepSummary {
  return {
    startedAt: started.toISOString(),
    durationMs: 0,
    claimed,
    polled: 0,
    baselined: 0,
    deferred: 0,
    newEvents: 0,
    published: 0,
    parked: 0,
    conflicts: 0,
    claimsLost: 0,
    coverageGaps: 0,
    notTakenOver: 0,
    overdue: 0,
    oldestStalenessSeconds: undefined,
    requestsSent: undefined,
    requestBudget: undefined,
    cursorsOverBudget: 0,
    maxLagMs: undefined,
    failures: [],
    unpublished: [],
  };
}

/**
 * One sweep: claims due customers, most overdue first, and polls them with a bounded number in
 * flight, until its budget is spent (deadline, `maxPolls`, or nothing left due). It reads the due
 * index only as far as it claims, plus a bounded look further to count overdue customers. One
 * customer's failure never stops the others.
 */
export async function runSweep(
  deps: PollDependencies,
  options: SweepOptions,
): Promise<SweepSummary> {
  const started = deps.clock();
  const startMs = started.getTime();
  const requestsBefore = deps.source.requestsSent?.();
  const summary = emptySweepSummary(started);
  const backlog = await claimThenCountBacklog(
    deps,
    {
      owner: options.owner ?? newClaimOwner(),
      now: startMs,
      limit: options.maxPolls,
      laneLimit: options.laneLimit,
      backstop: options.backstop,
      policy: options.policy,
      claimMs: options.claimSeconds * 1000,
      overdueScanLimit: options.overdueScanLimit,
      deadline: options.deadline,
      // Logged by the claims; a failure of the sweep all the same.
      onClaimError: (customer, error) => {
        const reason = `not claimed: ${describeError(error)}`;
        summary.failures.push({ customerId: customer.customerId, reason });
      },
    },
    async (claims) => {
      summary.claimed = await pollConcurrently(claims, summary, deps, options);
    },
  );
  // What stays due: counted (up to a bound) so a sweep that cannot keep up says so.
  summary.corruptItems = backlog.corruptItems;
  summary.deferred += backlog.deferred;
  summary.overdue = backlog.overdue;
  summary.oldestStalenessSeconds = backlog.oldestStalenessSeconds;
  summary.durationMs = deps.clock().getTime() - startMs;
  countRequests(summary, requestsBefore, deps, options);
  return summary;
}

/**
 * Polls claimed customers with at most `inFlightLimit()` (default `concurrency`) in flight, until
 * they run out or the deadline comes; adds each result to `summary`. Returns how many started.
 */
export function pollConcurrently(
  claims: Iterable<ClaimedCustomer> | AsyncIterable<ClaimedCustomer>,
  summary: SweepSummary,
  deps: PollDependencies,
  options: PollClaimedOptions & {
    concurrency: number;
    inFlightLimit?: (() => number) | undefined;
    deadline?: number | undefined;
  },
): Promise<number> {
  return forEachConcurrently(
    claims,
    (claimed) =>
      pollClaimed(claimed, deps, options)
        .then((result) => record(summary, result, deps))
        .catch((error: unknown) => {
          // pollClaimed never throws; this keeps a bug in it from stopping the others.
          summary.failures.push({ customerId: claimed.customerId, reason: describeError(error) });
        }),
    {
      limit: options.inFlightLimit ?? (() => options.concurrency),
      stop: () => options.deadline !== undefined && deps.clock().getTime() >= options.deadline,
    },
  );
}

/** The Capillary requests sent since `requestsBefore`, and the budget they are measured against. */
export function countRequests(
  summary: SweepSummary,
  requestsBefore: number | undefined,
  deps: Pick<PollDependencies, 'source'>,
  options: { requestsPerSecond?: number | undefined },
): void {
  const requestsAfter = deps.source.requestsSent?.();
  if (requestsBefore !== undefined && requestsAfter !== undefined) {
    summary.requestsSent = requestsAfter - requestsBefore;
  }
  if (options.requestsPerSecond !== undefined) {
    summary.requestBudget = (options.requestsPerSecond * summary.durationMs) / 1000;
  }
}

/** Adds one claimed poll's result to a summary. */
function record(summary: SweepSummary, result: ClaimedPollResult, deps: PollDependencies): void {
  const { customerId } = result;
  if (result.notTakenOver) {
    summary.notTakenOver = (summary.notTakenOver ?? 0) + 1;
    return;
  }
  if (result.claimLost) summary.claimsLost++;
  if (result.coverageGap) summary.coverageGaps++;
  if (result.status === 'failed') {
    summary.failures.push({ customerId, reason: result.reason ?? 'failed' });
    deps.logger.error('Customer poll failed', { customerId, reason: result.reason });
  } else if (result.status === 'deferred') {
    summary.deferred++;
  } else {
    summary.polled++;
  }
  if (result.status === 'conflict') summary.conflicts++;
  if (result.cursorOverBudget) summary.cursorsOverBudget = (summary.cursorsOverBudget ?? 0) + 1;
  if (result.baselined && result.status === 'ok') summary.baselined++;
  summary.newEvents += result.newEvents;
  summary.published += result.published;
  summary.parked += result.parked;
  if (result.maxLagMs !== undefined) {
    summary.maxLagMs = Math.max(summary.maxLagMs ?? result.maxLagMs, result.maxLagMs);
  }
  if (result.unpublished.length > 0) {
    for (const event of result.unpublished) summary.unpublished.push({ customerId, ...event });
    summary.failures.push({
      customerId,
      reason: `${result.unpublished.length} new event(s) not published: ${result.unpublished
        .map((event) => `${event.key} (${event.reason})`)
        .join('; ')}`,
    });
    deps.logger.error('Events not published', { customerId, events: result.unpublished });
  }
}

/**
 * The summary with each list cut to `limit` entries, plus the full counts: during an outage every
 * customer fails, and one log event must stay far below CloudWatch's 256 KB.
 */
export function boundedSummary(
  summary: SweepSummary,
  limit = 50,
): SweepSummary & { failureCount: number; unpublishedCount: number } {
  return {
    ...summary,
    failures: summary.failures.slice(0, limit),
    unpublished: summary.unpublished.slice(0, limit),
    failureCount: summary.failures.length,
    unpublishedCount: summary.unpublished.length,
  };
}
