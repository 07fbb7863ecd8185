import { claimThenCountBacklog, type DueBacklog, newClaimOwner } from '../claim/claim-due.js';
import type { ClaimedCustomer } from '../claim/claimed-customer.js';
import { describeError } from '../errors.js';
import type { BackstopOptions } from '../feed/feed-backstop.js';
import type { Logger } from '../ports.js';
import { forEachConcurrently } from './for-each-concurrently.js';
import { type ClaimedPollResult, type PollClaimedOptions, pollClaimed } from './poll-claimed.js';
import { emptyPollResult, type PollDependencies } from './poll-customer.js';
import {
  type CustomerFailure,
  countPolls,
  type PollCounts,
  type PollSummary,
  startRun,
} from './poll-summary.js';

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

/**
 * The CLI's sweep claims and polls in one process: what it polled, and what it left due, as the
 * scheduler's tick counts it (the unclaimed due customers are in `deferred`).
 */
export type SweepSummary = PollSummary &
  Pick<DueBacklog, 'corruptItems' | 'overdue' | 'oldestStalenessSeconds'>;

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
  const finish = startRun(deps, options.requestsPerSecond);
  const notClaimed: CustomerFailure[] = [];
  let polls: PolledClaims = { started: 0, counts: countPolls([]) };
  const backlog = await claimThenCountBacklog(
    deps,
    {
      owner: options.owner ?? newClaimOwner(),
      now: deps.clock().getTime(),
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
        notClaimed.push({ customerId: customer.customerId, reason });
      },
    },
    async (claims) => {
      polls = await pollConcurrently(claims, deps, options);
    },
  );
  const { counts } = polls;
  return {
    ...finish(polls.started),
    ...counts,
    // What stays due: counted (up to a bound) so a sweep that cannot keep up says so.
    deferred: counts.deferred + backlog.deferred,
    corruptItems: backlog.corruptItems,
    overdue: backlog.overdue,
    oldestStalenessSeconds: backlog.oldestStalenessSeconds,
    failures: [...notClaimed, ...counts.failures],
  };
}

/** How many claimed customers a run started, and what their polls came to. */
interface PolledClaims {
  started: number;
  counts: PollCounts;
}

/**
 * Polls claimed customers with at most `inFlightLimit()` (default `concurrency`) in flight, until
 * they run out or the deadline comes. Each failure is logged as its poll ends.
 */
export async function pollConcurrently(
  claims: Iterable<ClaimedCustomer> | AsyncIterable<ClaimedCustomer>,
  deps: PollDependencies,
  options: PollClaimedOptions & {
    concurrency: number;
    inFlightLimit?: (() => number) | undefined;
    deadline?: number | undefined;
  },
): Promise<PolledClaims> {
  const results: ClaimedPollResult[] = [];
  const started = await forEachConcurrently(
    claims,
    (claimed) =>
      pollClaimed(claimed, deps, options)
        .then((result) => {
          results.push(result);
          logFailure(result, deps.logger);
        })
        .catch((error: unknown) => {
          // pollClaimed never throws; this keeps a bug in it from stopping the others.
          results.push({
            ...emptyPollResult(claimed.customerId),
            status: 'failed',
            reason: describeError(error),
            claimLost: false,
            outcome: undefined,
          });
        }),
    {
      limit: options.inFlightLimit ?? (() => options.concurrency),
      stop: () => options.deadline !== undefined && deps.clock().getTime() >= options.deadline,
    },
  );
  return { started, counts: countPolls(results) };
}

/** A failed poll, and new events that could not be published, logged as the poll ends. */
function logFailure(result: ClaimedPollResult, logger: Logger): void {
  const { customerId } = result;
  if (result.status === 'failed') {
    logger.error('Customer poll failed', { customerId, reason: result.reason });
  }
  if (result.unpublished.length > 0) {
    logger.error('Events not published', { customerId, events: result.unpublished });
  }
}
