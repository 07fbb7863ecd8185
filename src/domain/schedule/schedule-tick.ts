import { claimThenCountBacklog } from '../claim/claim-due.js';
import type { ClaimedCustomer } from '../claim/claimed-customer.js';
import type { BackstopOptions } from '../feed/feed-backstop.js';
import type { PollDependencies } from '../poll/poll-customer.js';
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

export interface TickSummary {
  startedAt: string;
  durationMs: number;
  claimed: number;
  /** Claimed customers handed to the workers. */
  queued: number;
  /** Claimed but not queued: their claims expire and a later tick claims them again. */
  notQueued: { customerId: string; reason: string }[];
  /** Due customers whose claim failed (logged by name): skipped, claimed by a later tick. */
  claimErrors: number;
  /** Schedule items that could not be read: rebuilt from the cursor item, claimed and queued. */
  corruptItems: number;
  /** Due customers left for a later tick (counted up to `overdueScanLimit`). */
  deferred: number;
  /** Of those, the ones whose staleness exceeds the longest interval. */
  overdue: number;
  /** The oldest staleness among the due customers read, seconds; `undefined` when none was due. */
  oldestStalenessSeconds: number | undefined;
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
  const summary: TickSummary = {
    startedAt: new Date(startMs).toISOString(),
    durationMs: 0,
    claimed: 0,
    queued: 0,
    notQueued: [],
    claimErrors: 0,
    corruptItems: 0,
    deferred: 0,
    overdue: 0,
    oldestStalenessSeconds: undefined,
  };
  let pending: ClaimedCustomer[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const messages = workMessages(pending);
    pending = [];
    const outcomes = await deps.workQueue.send(messages);
    messages.forEach((message, index) => {
      const outcome = outcomes[index];
      if (outcome?.sent) {
        summary.queued += message.customers.length;
        return;
      }
      const reason = outcome?.reason ?? 'not sent';
      for (const customer of message.customers) {
        summary.notQueued.push({ customerId: customer.customerId, reason });
      }
    });
  };

  const backlog = await claimThenCountBacklog(deps, options, async (claims) => {
    try {
      for await (const claimed of claims) {
        summary.claimed++;
        pending.push(claimed);
        if (pending.length >= CLAIMS_PER_FLUSH) await flush();
        if (options.deadline !== undefined && deps.clock().getTime() >= options.deadline) break;
      }
    } finally {
      // Even when a claim failed: what is claimed already goes to the workers.
      await flush();
    }
  });
  summary.claimErrors = backlog.claimErrors;
  summary.corruptItems = backlog.corruptItems;
  summary.deferred = backlog.deferred;
  summary.overdue = backlog.overdue;
  summary.oldestStalenessSeconds = backlog.oldestStalenessSeconds;
  if (summary.notQueued.length > 0) {
    deps.logger.warn(
      'Claimed customers not queued; they are claimed again once their claims expire',
      {
        count: summary.notQueued.length,
        first: summary.notQueued.slice(0, 10),
      },
    );
  }
  summary.durationMs = deps.clock().getTime() - startMs;
  return summary;
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
