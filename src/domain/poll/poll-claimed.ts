import type { ClaimedCustomer } from '../claim/claimed-customer.js';
import { describeError } from '../errors.js';
import type { PollCompletion } from '../ports.js';
import {
  type PollOutcome,
  type Schedule,
  type SchedulePolicy,
  scheduleAfterPoll,
} from '../schedule/schedule.js';
import {
  type CustomerPollResult,
  emptyPollResult,
  type PollDependencies,
  type PollOptions,
  pollCustomer,
} from './poll-customer.js';

export interface PollClaimedOptions extends PollOptions {
  policy: SchedulePolicy;
  /**
   * Nothing is published later than this before the claim expires, so a poll that is still
   * publishing when another poller may take the customer over cannot happen. Default: a quarter
   * of the claim, at most 10 s.
   */
  claimMarginMs?: number | undefined;
  /**
   * A worker's delivery token (`deliveryClaimToken`): before fetching, the poll takes the claim
   * over from the scheduler under it (`CursorStore.takeOver`) and polls only if it could, so a
   * message delivered twice, or late, polls each customer once. Unset (the CLI's sweep, which
   * polls its own claims): no takeover.
   */
  takeOverAs?: string | undefined;
}

export interface ClaimedPollResult extends CustomerPollResult {
  /** The claim ran out (or was taken over) before the poll could publish or record its outcome. */
  claimLost: boolean;
  /** What the schedule records; `undefined` when the poll did not run to an outcome. */
  outcome: PollOutcome | undefined;
  /**
   * This delivery could not take the claim over: another delivery of the message has it, its poll
   * is done, or the customer was claimed again. Nothing was fetched or written.
   */
  notTakenOver?: boolean;
}

/**
 * A poll publishes nothing in this share of what remains of its claim, and stops at most this long
 * before the claim ends.
 */
export const CLAIM_PUBLISH_MARGIN = { share: 0.25, atMostMs: 10_000 } as const;

/**
 * How long before its claim ends a poll stops publishing: the last quarter of what remains of the
 * claim, at most 10 s.
 * @internal its test pins the share and the ceiling without a claim running out.
 */
export function claimPublishMargin(claimRemainingMs: number): number {
  return Math.min(
    CLAIM_PUBLISH_MARGIN.atMostMs,
    Math.max(0, claimRemainingMs) * CLAIM_PUBLISH_MARGIN.share,
  );
}

/**
 * Polls a claimed customer (`pollCustomer`: fetch, detect, publish, save the cursor) within its
 * claim, then records the outcome on its schedule. An idle poll whose tentative schedule (written
 * by the claim) stands writes nothing more. Never throws.
 */
export async function pollClaimed(
  queued: ClaimedCustomer,
  deps: PollDependencies,
  options: PollClaimedOptions,
): Promise<ClaimedPollResult> {
  const margin =
    options.claimMarginMs ?? claimPublishMargin(queued.claimedUntil - deps.clock().getTime());
  const claimCutoff = queued.claimedUntil - margin;
  const log = { customerId: queued.customerId };
  if (deps.clock().getTime() >= claimCutoff) {
    // A redelivered or late claim: another poller may hold the customer already.
    return {
      ...emptyPollResult(queued.customerId),
      status: 'deferred',
      claimLost: true,
      outcome: undefined,
    };
  }
  let claimed = queued;
  if (options.takeOverAs !== undefined) {
    let taken: ClaimedCustomer | undefined;
    try {
      taken = await deps.store.takeOver(queued, {
        owner: options.takeOverAs,
        now: deps.clock().getTime(),
      });
    } catch (error) {
      // Not polled; the claim expires and a later tick claims the customer again.
      return {
        ...emptyPollResult(queued.customerId),
        status: 'failed',
        reason: `claim not taken over: ${describeError(error)}`,
        claimLost: false,
        outcome: undefined,
      };
    }
    if (taken === undefined) {
      // Expected under at-least-once delivery: whoever holds the customer now polls it.
      deps.logger.info(
        'Customer not taken over: another delivery has it, or it moved on; skipped',
        {
          ...log,
          claimOwner: queued.claimOwner,
          delivery: options.takeOverAs,
        },
      );
      return {
        ...emptyPollResult(queued.customerId),
        claimLost: false,
        outcome: undefined,
        notTakenOver: true,
      };
    }
    claimed = taken;
  }
  // The claim chose the bound (the backstop, for a customer the feed covers): the schedule follows.
  const policy: SchedulePolicy = {
    ...options.policy,
    maxIntervalMs: claimed.maxIntervalMs ?? options.policy.maxIntervalMs,
  };
  const publishBy = Math.min(options.publishBy ?? Number.POSITIVE_INFINITY, claimCutoff);
  const startedAt = deps.clock().getTime();
  const result = await pollCustomer(claimed, deps, { ...options, publishBy });
  const now = deps.clock().getTime();
  const before: Schedule = {
    nextPollAt: claimed.nextPollAt,
    idlePolls: claimed.idlePolls,
    lastPolledAt: claimed.lastPolledAt,
  };
  const complete = async (completion: PollCompletion): Promise<boolean> => {
    try {
      if ((await deps.store.completePoll(claimed, completion)) === 'completed') return true;
      deps.logger.warn(
        'Claim expired before the poll was recorded; the schedule keeps its tentative time',
        log,
      );
      return false;
    } catch (error) {
      // The cursor is saved; only the schedule is stale, and the claim simply expires.
      deps.logger.warn('Poll outcome not recorded on the schedule', {
        ...log,
        reason: describeError(error),
      });
      return true;
    }
  };

  switch (result.status) {
    case 'deferred': {
      // Out of time only when no reason came back: a wait for quota budget (its reason) is not.
      const lostClaim = result.reason === undefined && publishBy === claimCutoff;
      // Fetched but not published: due again at once, for whichever poller has time.
      await complete({ schedule: { ...before, nextPollAt: now } });
      return { ...result, claimLost: lostClaim, outcome: undefined };
    }
    case 'failed': {
      const recorded = await complete({
        schedule: scheduleAfterPoll(before, policy, 'failed', now),
        lastError: { reason: result.reason ?? 'failed', at: now },
      });
      return { ...result, claimLost: !recorded, outcome: 'failed' };
    }
    case 'conflict':
      return { ...result, claimLost: false, outcome: undefined };
    case 'ok':
      break;
  }
  if (result.removed) {
    // A schedule item without a cursor (an add and a remove that crossed): drop it.
    try {
      await deps.store.removeCustomer(claimed.customerId);
    } catch (error) {
      deps.logger.warn('Schedule item of a removed customer not deleted', {
        ...log,
        reason: describeError(error),
      });
    }
    return { ...result, claimLost: false, outcome: undefined };
  }
  const outcome: PollOutcome = result.newEvents > 0 || result.coverageGap ? 'active' : 'idle';
  const schedule = scheduleAfterPoll(before, policy, outcome, now, startedAt);
  const changed =
    claimed.mode !== 'tracking' ||
    (result.windowDigest !== undefined && result.windowDigest !== claimed.windowDigest);
  let recorded = true;
  if (outcome === 'active' || changed) {
    recorded = await complete({
      schedule,
      mode: 'tracking',
      windowDigest: result.windowDigest ?? null,
      lastError: null,
    });
  } else if (claimed.nextPollAt > schedule.nextPollAt) {
    // The claim pushed the next poll to its expiry; an idle poll is due sooner than that.
    recorded = await complete({ schedule });
  }
  return { ...result, claimLost: !recorded, outcome };
}
