import { claimThenCountBacklog, type DueBacklog } from '../claim/claim-due.js';
import type { ClaimedCustomer } from '../claim/claimed-customer.js';
import type { BackstopOptions } from '../feed/feed-backstop.js';
import type { PollDependencies } from '../poll/poll-customer.js';
import { type CustomerFailure, LOGGED_LIST_LIMIT, type RunSummary } from '../poll/poll-summary.js';
import type { SchedulePolicy } from './schedule.js';
import { CUSTOMERS_PER_MESSAGE, type WorkQueue, workMessages } from './work-queue.js';

/**
 * Claims sent per flush: 10 messages, one SendMessageBatch, so workers start while it claims.
 */
export const CLAIMS_PER_FLUSH = CUSTOMERS_PER_MESSAGE * 10;

export interface TickOptions {
  /** Who holds this tick's claims; the workers complete them under this name. */
  owner: string;
  /** Epoch ms: the tick's time; customers with `nextPollAt <= now` are due. */
  now: number;
  /** The most customers this tick claims: the quota of one tick (`CAPILLARY_RPS` × interval). */
  limit: number;
  /** Of those, the most taken from the priority lane first (`laneLimit`). Unset: no cap. */
  laneLimit?: number | undefined;
  /** The backstop bound and the feed's health (`currentBackstop`). */
  backstop?: BackstopOptions | undefined;
  policy: SchedulePolicy;
  /** `CLAIM_SECONDS` × 1000. */
  claimMs: number;
  /** Epoch ms after which nothing more is claimed (the scheduler's remaining time, less a margin). */
  deadline?: number | undefined;
  /** Due customers read after the limit, to count the overdue ones. Default 1,000. */
  overdueScanLimit?: number | undefined;
}

/**
 * What a tick did: its claims, queued or not, and what stays due (`DueBacklog`, read on down the
 * due index after the limit): the whole watchlist's staleness, which only the tick can tell.
 */
export interface TickSummary extends RunSummary, DueBacklog {
  /** Claimed customers handed to the workers. */
  queued: number;
  /** Claimed but not queued: their claims expire and a later tick claims them again. */
  notQueued: CustomerFailure[];
}

/**
 * One scheduler tick: claims due customers, most overdue first, up to the tick's quota, and hands
 * them to the workers in messages of up to 25, every 250 claims so workers start early. Then it
 * looks a bounded way further down the due index to count what stays overdue.
 */
export async function runTick(
  deps: Pick<PollDependencies, 'store' | 'clock' | 'logger'> & { workQueue: WorkQueue },
  options: TickOptions,
): Promise<TickSummary> {
  const startMs = deps.clock().getTime();
  let claimed = 0;
  let queued = 0;
  const notQueued: CustomerFailure[] = [];
  let pending: ClaimedCustomer[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const messages = workMessages(pending);
    pending = [];
    const outcomes = await deps.workQueue.send(messages);
    messages.forEach((message, index) => {
      const outcome = outcomes[index];
      if (outcome?.sent) {
        queued += message.customers.length;
        return;
      }
      const reason = outcome?.reason ?? 'not sent';
      for (const customer of message.customers) {
        notQueued.push({ customerId: customer.customerId, reason });
      }
    });
  };

  const backlog = await claimThenCountBacklog(deps, options, async (claims) => {
    try {
      for await (const claim of claims) {
        claimed++;
        pending.push(claim);
        if (pending.length >= CLAIMS_PER_FLUSH) await flush();
        if (options.deadline !== undefined && deps.clock().getTime() >= options.deadline) break;
      }
    } finally {
      // Even when a claim failed: what is claimed already goes to the workers.
      await flush();
    }
  });
  if (notQueued.length > 0) {
    deps.logger.warn(
      'Claimed customers not queued; they are claimed again once their claims expire',
      { count: notQueued.length, first: notQueued.slice(0, 10) },
    );
  }
  return {
    startedAt: new Date(startMs).toISOString(),
    durationMs: deps.clock().getTime() - startMs,
    claimed,
    queued,
    notQueued,
    ...backlog,
  };
}

/**
 * The summary with `notQueued` cut to `limit` entries, plus its full count: one log event stays
 * far below CloudWatch's 256 KB whatever the outage.
 */
export function boundedTickSummary(
  summary: TickSummary,
  limit = LOGGED_LIST_LIMIT,
): TickSummary & { notQueuedCount: number } {
  return {
    ...summary,
    notQueued: summary.notQueued.slice(0, limit),
    notQueuedCount: summary.notQueued.length,
  };
}

/** The quota of one tick: `CAPILLARY_RPS` × the interval, at least one, at most `SWEEP_MAX_POLLS`. */
export function tickLimit(
  requestsPerSecond: number,
  intervalSeconds: number,
  maxPolls: number | undefined,
): number {
  const quota = Math.max(1, Math.floor(requestsPerSecond * intervalSeconds));
  return maxPolls === undefined ? quota : Math.min(quota, maxPolls);
}
