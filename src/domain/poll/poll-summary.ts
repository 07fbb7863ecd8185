import type { ClaimedPollResult } from './poll-claimed.js';
import type { PollDependencies } from './poll-customer.js';

/** A customer a run could not poll, or not publish every new event of, and why. */
export interface CustomerFailure {
  customerId: string;
  reason: string;
}

/**
 * What every run that claims reports first, the scheduler's tick as much as a poll: when it
 * started, how long it took, how many customers it claimed.
 */
export interface RunSummary {
  startedAt: string;
  durationMs: number;
  /** Customers this run claimed (and so started); a worker's are its message's. */
  claimed: number;
}

/** What the polls of claimed customers came to: every run that polls counts these. */
export interface PollCounts {
  /** Claimed customers whose poll completed (a failed customer does not count). */
  polled: number;
  baselined: number;
  /**
   * Customers left for a later run: claimed but not published in time (a worker adds the ones
   * it did not start, the CLI's sweep the due ones its budget left unclaimed).
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
  notTakenOver: number;
  /** Customers whose window alone did not fit the cursor's byte budget (logged by the poll). */
  cursorsOverBudget: number;
  maxLagMs: number | undefined;
  /** Customers whose poll failed, or some of whose new events could not be published. */
  failures: CustomerFailure[];
  unpublished: { customerId: string; key: string; eventName: string; reason: string }[];
}

/** What a run that polls reports: its start, its polls' counts, and the requests they sent. */
export type PollSummary = RunSummary &
  PollCounts & {
    /** Requests sent to Capillary during the run, when the source counts them. */
    requestsSent: number | undefined;
    /** `CAPILLARY_RPS` × the run's duration: what `requestsSent` is measured against. */
    requestBudget: number | undefined;
  };

/**
 * Starts a run's clock and its count of Capillary requests; what it returns ends them, giving
 * the run's part of its summary.
 */
export function startRun(
  deps: Pick<PollDependencies, 'clock' | 'source'>,
  requestsPerSecond: number | undefined,
): (claimed: number) => Omit<PollSummary, keyof PollCounts> {
  const started = deps.clock();
  const requestsBefore = deps.source.requestsSent?.();
  return (claimed) => {
    const durationMs = deps.clock().getTime() - started.getTime();
    const requestsAfter = deps.source.requestsSent?.();
    return {
      startedAt: started.toISOString(),
      durationMs,
      claimed,
      requestsSent:
        requestsBefore === undefined || requestsAfter === undefined
          ? undefined
          : requestsAfter - requestsBefore,
      requestBudget:
        requestsPerSecond === undefined ? undefined : (requestsPerSecond * durationMs) / 1000,
    };
  };
}

/** What claimed polls came to, in the order they ended. */
export function countPolls(results: readonly ClaimedPollResult[]): PollCounts {
  const taken = results.filter((result) => !result.notTakenOver);
  const count = (test: (result: ClaimedPollResult) => unknown) => taken.filter(test).length;
  const sum = (field: 'newEvents' | 'published' | 'parked') =>
    taken.reduce((total, result) => total + result[field], 0);
  return {
    polled: count((result) => result.status !== 'failed' && result.status !== 'deferred'),
    baselined: count((result) => result.baselined && result.status === 'ok'),
    deferred: count((result) => result.status === 'deferred'),
    newEvents: sum('newEvents'),
    published: sum('published'),
    parked: sum('parked'),
    conflicts: count((result) => result.status === 'conflict'),
    claimsLost: count((result) => result.claimLost),
    coverageGaps: count((result) => result.coverageGap),
    notTakenOver: results.length - taken.length,
    cursorsOverBudget: count((result) => result.cursorOverBudget),
    maxLagMs: taken.reduce<number | undefined>(
      (max, { maxLagMs }) => (maxLagMs === undefined ? max : Math.max(max ?? maxLagMs, maxLagMs)),
      undefined,
    ),
    failures: taken.flatMap(failuresOf),
    unpublished: taken.flatMap(({ customerId, unpublished }) =>
      unpublished.map((event) => ({ customerId, ...event })),
    ),
  };
}

/** A failed poll, and a poll some of whose new events could not be published, are failures. */
function failuresOf(result: ClaimedPollResult): CustomerFailure[] {
  const { customerId, unpublished } = result;
  const failures: CustomerFailure[] = [];
  if (result.status === 'failed') failures.push({ customerId, reason: result.reason ?? 'failed' });
  if (unpublished.length > 0) {
    const events = unpublished.map((event) => `${event.key} (${event.reason})`).join('; ');
    failures.push({
      customerId,
      reason: `${unpublished.length} new event(s) not published: ${events}`,
    });
  }
  return failures;
}

/** Entries of a list one log event shows; the rest are counted. */
export const LOGGED_LIST_LIMIT = 50;

/**
 * The summary with each list cut to `limit` entries, plus the full counts: during an outage every
 * customer fails, and one log event must stay far below CloudWatch's 256 KB.
 */
export function boundedSummary<S extends Pick<PollCounts, 'failures' | 'unpublished'>>(
  summary: S,
  limit = LOGGED_LIST_LIMIT,
): S & { failureCount: number; unpublishedCount: number } {
  return {
    ...summary,
    failures: summary.failures.slice(0, limit),
    unpublished: summary.unpublished.slice(0, limit),
    failureCount: summary.failures.length,
    unpublishedCount: summary.unpublished.length,
  };
}
