import { setTimeout as sleep } from 'node:timers/promises';
import { type BackoffOptions, backoffDelayMs } from '../backoff.js';

/** What DynamoDB answers when a table, an index or the account is over its capacity. */
const THROTTLE_ERRORS: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/** Full jitter: every poller of the fleet meets the same throttle and must spread its retries. */
const THROTTLE_BACKOFF: BackoffOptions = { baseDelayMs: 100, maxDelayMs: 2_000, jitter: 'full' };

/**
 * Attempts in all (each with the SDK's own 3) without a deadline: a call that must not fail (a
 * cursor write after publishing) fails once in 60,000 with 40% of calls throttled.
 */
const ATTEMPTS_WITHOUT_DEADLINE = 4;

/**
 * Attempts at one customer's claim: a hot item costs a tick a few seconds, not all of its time;
 * the customer is skipped and claimed by a later tick.
 */
export const CLAIM_ATTEMPTS = 3;

/** A throttle, or an error (a `CursorStoreError`) caused by one. */
function isThrottle(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return THROTTLE_ERRORS.has(error.name) || (error.cause !== error && isThrottle(error.cause));
}

/**
 * `send`, tried again with backoff while DynamoDB throttles it: until `deadline` (epoch ms, the
 * tick's or the sweep's) would pass, and at most `attempts` times (default: as many as the
 * deadline allows; without one, `ATTEMPTS_WITHOUT_DEADLINE`). A throttled request was not carried
 * out, so trying a conditional write again is safe. Any other error, or the last throttle, is
 * thrown.
 */
export async function retryThrottled<T>(
  send: () => Promise<T>,
  deadline: number | undefined,
  attempts = deadline === undefined ? ATTEMPTS_WITHOUT_DEADLINE : Number.POSITIVE_INFINITY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!isThrottle(error)) throw error;
      const delayMs = backoffDelayMs(attempt, THROTTLE_BACKOFF);
      const spent =
        attempt >= attempts || (deadline !== undefined && Date.now() + delayMs >= deadline);
      if (spent) throw error;
      await sleep(delayMs);
    }
  }
}
