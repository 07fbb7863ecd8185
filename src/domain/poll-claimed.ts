import { randomUUID } from 'node:crypto';
import type { ClaimedCustomer, DueCustomer } from './claimed-customer.js';
import { describeError } from './errors.js';
import {
  type CustomerPollResult,
  emptyPollResult,
  type PollDependencies,
  type PollOptions,
  pollCustomer,
} from './poll-customer.js';
import type { PollCompletion } from './ports.js';
import {
  type PollOutcome,
  type Schedule,
  type SchedulePolicy,
  scheduleAfterPoll,
} from './schedule.js';

export interface ClaimOptions {
  /** Who holds the claims (one id per sweep or scheduler tick). */
  owner: string;
  /** Epoch ms: customers with `nextPollAt <= now` are due. */
  now: number;
  /** Stops after this many claims; unset: every due customer. */
  limit?: number | undefined;
  policy: SchedulePolicy;
  /** How long a claim holds (`CLAIM_SECONDS` × 1000). */
  claimMs: number;
}

/** A claim owner no other sweep uses. */
export function newClaimOwner(prefix = 'sweep'): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * Due customers, most overdue first, each claimed before it is yielded; a customer another poller
 * holds (or that changed since the due index listed it) is skipped. Stop iterating and nothing
 * more is claimed or read.
 */
export async function* claimDue(
  deps: Pick<PollDependencies, 'store' | 'clock'>,
  options: ClaimOptions,
): AsyncGenerator<ClaimedCustomer> {
  const due = deps.store.dueCustomers(options.now)[Symbol.asyncIterator]();
  try {
    yield* claimFrom(due, deps, options);
  } finally {
    await due.return?.();
  }
}

/**
 * Claims from an iterator of due customers, leaving the iterator open when the caller stops, so a
 * sweep can go on reading what stayed due (for its overdue count) without claiming it.
 */
export async function* claimFrom(
  due: AsyncIterator<DueCustomer>,
  deps: Pick<PollDependencies, 'store' | 'clock'>,
  options: ClaimOptions & {
    onDue?: (customer: DueCustomer, claimed: boolean) => void;
    /** Without it, a failed claim ends the iteration with its error. */
    onClaimError?: (customer: DueCustomer, error: unknown) => void;
  },
): AsyncGenerator<ClaimedCustomer> {
  let claims = 0;
  while (options.limit === undefined || claims < options.limit) {
    const next = await due.next();
    if (next.done) return;
    const now = deps.clock().getTime();
    const claimedUntil = now + options.claimMs;
    const idle = scheduleAfterPoll(
      { nextPollAt: next.value.nextPollAt, idlePolls: next.value.idlePolls, lastPolledAt: null },
      options.policy,
      'idle',
      now,
    );
    // Never due again while the claim holds: a poller that dies leaves a customer that is due
    // when its claim expires, not one the due index keeps offering to claims that must fail.
    const tentative = { ...idle, nextPollAt: Math.max(idle.nextPollAt, claimedUntil) };
    let claimed: ClaimedCustomer | undefined;
    try {
      claimed = await deps.store.claim(next.value, {
        owner: options.owner,
        now,
        claimedUntil,
        tentative,
      });
    } catch (error) {
      // One customer's broken schedule item (or a throttled write) must not stop the others.
      if (!options.onClaimError) throw error;
      options.onClaimError(next.value, error);
      continue;
    }
    options.onDue?.(next.value, claimed !== undefined);
    if (claimed === undefined) continue;
    claims++;
    yield claimed;
  }
}

export interface PollClaimedOptions extends PollOptions {
  policy: SchedulePolicy;
  /**
   * Nothing is published later than this before the claim expires, so a poll that is still
   * publishing when another poller may take the customer over cannot happen. Default: a quarter
   * of the claim, at most 10 s.
   */
  claimMarginMs?: number | undefined;
}

export interface ClaimedPollResult extends CustomerPollResult {
  /** The claim ran out (or was taken over) before the poll could publish or record its outcome. */
  claimLost: boolean;
  /** What the schedule records; `undefined` when the poll did not run to an outcome. */
  outcome: PollOutcome | undefined;
}

/**
 * Polls a claimed customer (`pollCustomer`: fetch, detect, publish, save the cursor) within its
 * claim, then records the outcome on its schedule. An idle poll whose tentative schedule (written
 * by the claim) stands writes nothing more. Never throws.
 */
export async function pollClaimed(
  claimed: ClaimedCustomer,
  deps: PollDependencies,
  options: PollClaimedOptions,
): Promise<ClaimedPollResult> {
  const margin =
    options.claimMarginMs ??
    Math.min(10_000, Math.max(0, claimed.claimedUntil - deps.clock().getTime()) / 4);
  const claimCutoff = claimed.claimedUntil - margin;
  const log = { customerId: claimed.customerId };
  if (deps.clock().getTime() >= claimCutoff) {
    // A redelivered or late claim: another poller may hold the customer already.
    return {
      ...emptyPollResult(claimed.customerId),
      status: 'deferred',
      claimLost: true,
      outcome: undefined,
    };
  }
  const publishBy = Math.min(options.publishBy ?? Number.POSITIVE_INFINITY, claimCutoff);
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
      const lostClaim = publishBy === claimCutoff;
      // Fetched but not published: due again at once, for whichever poller has time.
      await complete({ schedule: { ...before, nextPollAt: now } });
      return { ...result, claimLost: lostClaim, outcome: undefined };
    }
    case 'failed': {
      const recorded = await complete({
        schedule: scheduleAfterPoll(before, options.policy, 'failed', now),
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
  const schedule = scheduleAfterPoll(before, options.policy, outcome, now);
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
