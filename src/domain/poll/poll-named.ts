import { claimRequest } from '../claim/claim-due.js';
import type { ClaimedCustomer } from '../claim/claimed-customer.js';
import { describeError } from '../errors.js';
import type { PollDependencies } from './poll-customer.js';
import { type CustomerFailure, type PollSummary, startRun } from './poll-summary.js';
import { pollConcurrently, type SweepOptions } from './run-sweep.js';

/** The sweep's options that a poll of named customers uses too. */
type NamedPollOptions = Pick<
  SweepOptions,
  | 'concurrency'
  | 'inFlightLimit'
  | 'claimSeconds'
  | 'requestsPerSecond'
  | 'policy'
  | 'psiMode'
  | 'seenCapacity'
  | 'version'
  | 'claimMarginMs'
> & { owner: string };

/**
 * Polls the named customers now, ahead of their schedule, through the claim every poller takes:
 * never one that another poller holds, and its schedule moves on as after any poll. A customer
 * that is not watched, is paused or is held elsewhere is a failure of its own, with why; the
 * others are polled. Claims are taken as polls start, so none expires while waiting its turn.
 */
export async function pollNamed(
  deps: PollDependencies,
  customerIds: readonly string[],
  options: NamedPollOptions,
): Promise<PollSummary> {
  const finish = startRun(deps, options.requestsPerSecond);
  const failures: CustomerFailure[] = [];
  const notPolled = (customerId: string, reason: string) => {
    failures.push({ customerId, reason });
    deps.logger.error('Customer poll failed', { customerId, reason });
  };
  async function* claims(): AsyncGenerator<ClaimedCustomer> {
    for (const customerId of customerIds) {
      try {
        const claimed = await claimNamed(deps, customerId, options);
        if (typeof claimed === 'string') notPolled(customerId, claimed);
        else yield claimed;
      } catch (error) {
        notPolled(customerId, `not claimed: ${describeError(error)}`);
      }
    }
  }
  const { started, counts } = await pollConcurrently(claims(), deps, options);
  return { ...finish(started), ...counts, failures: [...failures, ...counts.failures] };
}

/** The claim on a named customer, or why it cannot be polled now. */
async function claimNamed(
  deps: PollDependencies,
  customerId: string,
  options: NamedPollOptions,
): Promise<ClaimedCustomer | string> {
  const schedule = await deps.store.scheduleOf(customerId);
  if (schedule === undefined) {
    return (await deps.store.getCustomer(customerId)) === undefined
      ? 'not watched'
      : 'watched but not scheduled yet: run `init` once';
  }
  if (schedule.status === 'paused') return 'paused: `watch resume` it first';
  const now = deps.clock().getTime();
  if (schedule.claimedUntil !== null && schedule.claimedUntil > now) {
    return `held by another poll until ${new Date(schedule.claimedUntil).toISOString()} (one in flight, or an idle one that just ended): try again then`;
  }
  const due = { customerId, nextPollAt: schedule.nextPollAt, idlePolls: schedule.idlePolls };
  const request = claimRequest(due, { ...options, claimMs: options.claimSeconds * 1000 }, now);
  const claimed = await deps.store.claim(due, { ...request, aheadOfSchedule: true });
  // Lost a race: another poller claimed it, or it was paused or polled, since it was read.
  return claimed ?? 'changed while it was being claimed (another poller took it): try again';
}
