import type { WorkMessage } from '../schedule/work-queue.js';
import type { PollClaimedOptions } from './poll-claimed.js';
import type { PollDependencies } from './poll-customer.js';
import { type PollSummary, startRun } from './poll-summary.js';
import { pollConcurrently } from './run-sweep.js';

export interface PollWorkOptions extends PollClaimedOptions {
  /** Customers polled at once, at most. */
  concurrency: number;
  /** Read before each start, so the limit can follow the quota and the observed latency. */
  inFlightLimit?: (() => number) | undefined;
  /** Epoch ms after which no customer is started (the worker's remaining time, less a margin). */
  deadline?: number | undefined;
  /** `CAPILLARY_RPS`: the whole deployment's budget, which this worker's requests are measured against. */
  requestsPerSecond?: number | undefined;
  /** This delivery's claim token (`deliveryClaimToken`): each customer is taken over under it first. */
  takeOverAs: string;
}

/**
 * A worker's share of a tick: what it claimed is its message. Overdue customers and staleness are
 * the scheduler's to report: one worker's share of a tick says nothing about the whole.
 */
export type WorkSummary = PollSummary & {
  /** Customers not started because the deadline came first: the message should come back. */
  unstarted: number;
};

/**
 * A worker's share of a tick: polls the claimed customers of one work message with a bounded
 * number in flight, each taken over first under this delivery's token. A customer another delivery
 * took over, already polled, claimed again since, or whose claim has expired (a message that came
 * back late) is skipped by `pollClaimed`; one customer's failure never stops the others.
 */
export async function pollWork(
  message: WorkMessage,
  deps: PollDependencies,
  options: PollWorkOptions,
): Promise<WorkSummary> {
  const finish = startRun(deps, options.requestsPerSecond);
  const { started, counts } = await pollConcurrently(message.customers, deps, options);
  const unstarted = message.customers.length - started;
  return {
    ...finish(message.customers.length),
    ...counts,
    deferred: counts.deferred + unstarted,
    unstarted,
  };
}
