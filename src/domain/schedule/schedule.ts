import * as z from 'zod';

/*
 * Who is polled when. Every watched customer has a next-poll time; a sweep polls the due ones,
 * most overdue first, until its budget is spent, so a customer left out of one sweep is first in
 * line in the next and none can starve. Activity tiers spend the Capillary quota where new events
 * are likely: a customer with new events is polled again after the shortest interval, and each
 * idle poll doubles its interval up to the longest, the documented staleness bound.
 *
 * Pure: the poller, the CLI and the scale benchmark all run this same code.
 */

/** How often customers are polled. */
export interface SchedulePolicy {
  /** The shortest interval between two polls of one customer (`POLL_INTERVAL_SECONDS`). */
  minIntervalMs: number;
  /** The longest (`MAX_POLL_INTERVAL_SECONDS`): the staleness bound. Equal to min: no tiers. */
  maxIntervalMs: number;
}

const ScheduleSchema = z.object({
  /** Epoch ms at which the customer is due; a sweep polls customers whose time has come. */
  nextPollAt: z.number().int(),
  /** Idle polls in a row since the last one that found new events: the customer's tier. */
  idlePolls: z.number().int().nonnegative(),
  /** Epoch ms of the last poll that fetched the customer's window, `null` before the first. */
  lastPolledAt: z.number().int().nullable(),
});
export type Schedule = z.infer<typeof ScheduleSchema>;

/**
 * `active`: the poll found new events (or a coverage gap); `idle`: nothing new; `failed`: the
 * fetch or the cursor write failed, nothing changed.
 */
export type PollOutcome = 'active' | 'idle' | 'failed';

/** A newly watched (or resumed) customer is due at once. */
export function initialSchedule(now: number): Schedule {
  return { nextPollAt: now, idlePolls: 0, lastPolledAt: null };
}

/** The interval after `idlePolls` idle polls in a row: doubling from the shortest to the longest. */
export function intervalAfter(policy: SchedulePolicy, idlePolls: number): number {
  // 2^40 already exceeds any bound a setting allows; capping the exponent keeps it finite.
  const doubled = policy.minIntervalMs * 2 ** Math.min(idlePolls, 40);
  return Math.min(policy.maxIntervalMs, Math.max(policy.minIntervalMs, doubled));
}

/** The schedule after a poll that began at `startedAt` and ended at `now` with `outcome`. */
export function scheduleAfterPoll(
  schedule: Schedule,
  policy: SchedulePolicy,
  outcome: PollOutcome,
  now: number,
  startedAt = now,
): Schedule {
  // The poll's start, not its end: a hint for an event after it is not taken for one it saw.
  const lastPolledAt = Math.min(startedAt, now);
  switch (outcome) {
    case 'active':
      return { nextPollAt: now + policy.minIntervalMs, idlePolls: 0, lastPolledAt };
    case 'idle': {
      const idlePolls = schedule.idlePolls + 1;
      return { nextPollAt: now + intervalAfter(policy, idlePolls), idlePolls, lastPolledAt };
    }
    case 'failed':
      // Same tier, tried again after its interval: a customer that keeps failing (a bad id, a
      // broken event) does not eat the quota of the others, nor is it forgotten.
      return { ...schedule, nextPollAt: now + intervalAfter(policy, schedule.idlePolls) };
  }
}

/**
 * How old the freshest view of the customer is: since its last poll, or since it was watched when
 * it has never been polled.
 */
export function stalenessMs(
  schedule: Pick<Schedule, 'lastPolledAt'>,
  watchedAt: number,
  now: number,
): number {
  return Math.max(0, now - (schedule.lastPolledAt ?? watchedAt));
}

/** Most overdue first; ties by customer id, so the order is the same for every poller. */
export function compareMostOverdue(
  a: { customerId: string; nextPollAt: number },
  b: { customerId: string; nextPollAt: number },
): number {
  return (
    a.nextPollAt - b.nextPollAt ||
    (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)
  );
}
