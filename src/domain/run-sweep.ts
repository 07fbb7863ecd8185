import type { WatchEntry } from './customer-state.js';
import {
  type CustomerPollResult,
  type PollDependencies,
  type PollOptions,
  pollCustomer,
} from './poll-customer.js';

export interface SweepOptions extends PollOptions {
  /** How many customers are polled at once. */
  concurrency: number;
  /** Epoch ms after which no new customer is started (the Lambda's remaining time, less a margin). */
  deadline?: number | undefined;
}

export interface CustomerFailure {
  customerId: string;
  reason: string;
}

export interface SweepSummary {
  startedAt: string;
  durationMs: number;
  /** Active customers whose poll completed (a throttled or failed customer does not count). */
  polled: number;
  baselined: number;
  paused: number;
  /** Active customers not started, or not published, because the deadline came first. */
  deferred: number;
  newEvents: number;
  published: number;
  parked: number;
  conflicts: number;
  maxLagMs: number | undefined;
  /** Customers whose poll failed, or some of whose new events could not be published. */
  failures: CustomerFailure[];
  unpublished: { customerId: string; key: string; eventName: string; reason: string }[];
}

/**
 * Polls every active watched customer with bounded concurrency, streaming the watchlist so memory
 * does not grow with it. One customer's failure never stops the others.
 */
export async function runSweep(
  deps: PollDependencies,
  options: SweepOptions,
): Promise<SweepSummary> {
  const started = deps.clock();
  const summary: SweepSummary = {
    startedAt: started.toISOString(),
    durationMs: 0,
    polled: 0,
    baselined: 0,
    paused: 0,
    deferred: 0,
    newEvents: 0,
    published: 0,
    parked: 0,
    conflicts: 0,
    maxLagMs: undefined,
    failures: [],
    unpublished: [],
  };
  const inFlight = new Set<Promise<void>>();
  const start = (watch: WatchEntry) => {
    const task = pollCustomer(watch, deps, options)
      .then((result) => record(summary, result, deps))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  for await (const stored of deps.store.listCustomers()) {
    if (stored.kind === 'unreadable') {
      summary.failures.push({
        customerId: stored.customerId,
        reason: `unreadable state: ${stored.reason}`,
      });
      continue;
    }
    if (stored.watch.status === 'paused') {
      summary.paused++;
      continue;
    }
    if (options.deadline !== undefined && deps.clock().getTime() >= options.deadline) {
      summary.deferred++;
      continue;
    }
    start(stored.watch);
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);

  summary.durationMs = deps.clock().getTime() - started.getTime();
  return summary;
}

function record(summary: SweepSummary, result: CustomerPollResult, deps: PollDependencies): void {
  const { customerId } = result;
  if (result.status === 'failed') {
    summary.failures.push({ customerId, reason: result.reason ?? 'failed' });
    deps.logger.error('Customer poll failed', { customerId, reason: result.reason });
  } else if (result.status === 'deferred') {
    summary.deferred++;
  } else {
    summary.polled++;
  }
  if (result.status === 'conflict') summary.conflicts++;
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
