import { randomUUID } from 'node:crypto';
import { describeError } from '../errors.js';
import {
  isDueOnWalk,
  type WalkedCustomer,
  type WalkRule,
  walkDeadline,
  walkPassMs,
} from '../feed/backstop-walk.js';
import {
  type BackstopOptions,
  backstopDueShiftMs,
  coverageAfterClaim,
  policyFor,
} from '../feed/feed-backstop.js';
import { hintTimeOf, isInLane } from '../feed/priority-lane.js';
import type {
  ClaimRequest,
  ClaimResult,
  CursorStore,
  DueRead,
  Logger,
  OffIndexWalk,
} from '../ports.js';
import { intervalAfter, type SchedulePolicy, scheduleAfterPoll } from '../schedule/schedule.js';
import type { ClaimedCustomer, DueCustomer } from './claimed-customer.js';
import { latestTrustedTime } from './clock-skew.js';

/*
 * Claiming: the first step after the schedule. A claim holds a due customer for one poller until
 * it expires, so the scheduler (or the CLI's sweep) hands each due customer to exactly one poll.
 */

type ClaimDependencies = { store: CursorStore; clock: () => Date };

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
  /** Epoch ms: throttled reads and claims are tried again until then. */
  deadline?: number | undefined;
  /**
   * At most this many customers are read from the priority lane (hinted ones) before the
   * schedule's, so hints never crowd out the staleness bound (`laneLimit`). Unset: no cap.
   */
  laneLimit?: number | undefined;
  /**
   * The backstop bound and whether the feed is healthy: customers the feed covers are scheduled
   * under the backstop while it is, and due by the staleness bound while it is not. Unset: as if
   * the feed were down.
   */
  backstop?: BackstopOptions | undefined;
}

/** A claim owner no other sweep uses. */
export function newClaimOwner(prefix = 'sweep'): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * The claim of `due` at `now`: held for `claimMs`, with the schedule an idle poll leaves, under
 * the backstop bound when the feed covers the customer and is healthy (`maxIntervalMs`).
 */
export function claimRequest(
  due: DueCustomer,
  options: Pick<ClaimOptions, 'owner' | 'policy' | 'claimMs' | 'backstop'>,
  now: number,
): ClaimRequest & { maxIntervalMs: number } {
  const claimedUntil = now + options.claimMs;
  const { coverage, policy } = claimPolicy(due, options);
  const idle = scheduleAfterPoll(
    { nextPollAt: due.nextPollAt, idlePolls: due.idlePolls, lastPolledAt: null },
    policy,
    'idle',
    now,
  );
  // Never due again while the claim holds: a poller that dies leaves a customer that is due
  // when its claim expires, not one the due index keeps offering to claims that must fail.
  const tentative = { ...idle, nextPollAt: Math.max(idle.nextPollAt, claimedUntil) };
  return {
    owner: options.owner,
    now,
    claimedUntil,
    tentative,
    maxIntervalMs: policy.maxIntervalMs,
    ...(due.coverage === undefined ? {} : { coverage }),
  };
}

/** The coverage a claim of `due` records, and the schedule policy it claims under. */
function claimPolicy(due: DueCustomer, options: Pick<ClaimOptions, 'policy' | 'backstop'>) {
  const coverage = coverageAfterClaim(due.coverage ?? 'none', options.backstop);
  return { coverage, policy: policyFor(options.policy, coverage, options.backstop) };
}

/** The policy `due` was scheduled under, and its claim will be. */
function policyOf(due: DueCustomer, options: ClaimOptions) {
  return claimPolicy(due, options).policy;
}

/**
 * Due customers, most overdue first, each claimed before it is yielded; a customer another poller
 * holds (or that changed since the due index listed it) is skipped. Stop iterating and nothing
 * more is claimed or read.
 * @internal the poll and schedule tests claim through it (the tick claims with claimThenCountBacklog).
 */
export async function* claimDue(
  deps: ClaimDependencies,
  options: ClaimOptions,
): AsyncGenerator<ClaimedCustomer> {
  const reading = readDue(deps, options);
  try {
    yield* claimFrom(reading.due, deps, options);
  } finally {
    await reading.settle();
    await reading.due.return?.();
  }
}

interface DueReading {
  due: AsyncIterator<DueCustomer>;
  /** Once the claims stop: saves the backstop walk (`BackstopWalk.settle`). */
  settle(): Promise<void>;
}

/**
 * The priority lane (up to `laneLimit`), then the due index from `now`, most overdue first, with
 * the customers the backstop walk found due merged in by their deadlines, and last the customers
 * whose `nextPollAt` is further ahead than a sound clock could have written it (the longest
 * interval or claim, plus the skew bound): a fast clock's, due as well.
 */
function readDue(deps: ClaimDependencies & { logger?: Logger }, options: ClaimOptions): DueReading {
  const longestMs = Math.max(options.policy.maxIntervalMs, options.claimMs);
  const { backstop } = options;
  const read: DueRead = {
    fastClockAfter: latestTrustedTime(options.now, longestMs),
    deadline: options.deadline,
    backstop: {
      dueShiftMs: backstop ? backstopDueShiftMs(options.policy, backstop) : 0,
      fastClockAfter: latestTrustedTime(
        options.now,
        Math.max(longestMs, backstop?.intervalMs ?? 0),
      ),
    },
  };
  const walk = backstop === undefined ? undefined : new BackstopWalk(deps, options, backstop);
  async function* ordered(): AsyncGenerator<DueCustomer> {
    const laneLimit = options.laneLimit ?? Number.POSITIVE_INFINITY;
    if (laneLimit > 0) {
      let taken = 0;
      for await (const hinted of deps.store.dueCustomers(options.now, { ...read, lane: 'only' })) {
        yield hinted;
        if (++taken >= laneLimit) break;
      }
    }
    const indexed = deps.store.dueCustomers(options.now, { ...read, lane: 'excluded' });
    if (walk === undefined) {
      yield* indexed;
      return;
    }
    // Most urgent first: a walked customer before the indexed ones due after its deadline.
    await walk.read();
    for await (const customer of indexed) {
      yield* walk.dueBy(customer.nextPollAt);
      yield customer;
    }
    yield* walk.dueBy(Number.POSITIVE_INFINITY);
  }
  let settled = false;
  return {
    due: ordered(),
    settle: async () => {
      if (settled) return;
      settled = true;
      await walk?.settle();
    },
  };
}

/** One step of the backstop walk within a tick or sweep (`backstop-walk.ts`). */
class BackstopWalk {
  #step: OffIndexWalk | undefined;
  /** The customers the step found due, most urgent first, and how many were offered a claim. */
  #due: { customer: WalkedCustomer; deadline: number }[] = [];
  #offered = 0;
  readonly #deps: ClaimDependencies & { logger?: Logger };
  readonly #options: ClaimOptions;
  readonly #rule: WalkRule;

  constructor(
    deps: ClaimDependencies & { logger?: Logger },
    options: ClaimOptions,
    backstop: BackstopOptions,
  ) {
    this.#deps = deps;
    this.#options = options;
    this.#rule = {
      passMs: walkPassMs(backstop),
      backstop,
      maxIntervalMs: options.policy.maxIntervalMs,
    };
  }

  async read(): Promise<void> {
    const { now, deadline } = this.#options;
    try {
      this.#step = await this.#deps.store.walkOffIndex(now, this.#rule.passMs, deadline);
    } catch (error) {
      // Walked again at the next tick; the lane and the index go on meanwhile.
      this.#deps.logger?.error('Backstop walk failed; customers off the due index wait a tick', {
        reason: describeError(error),
      });
      return;
    }
    this.#due = this.#step.customers
      .filter((customer) => isDueOnWalk(customer, now, this.#rule))
      .map((customer) => ({ customer, deadline: walkDeadline(customer, this.#rule) }))
      .sort((a, b) => a.deadline - b.deadline);
  }

  /** The walked customers not offered yet whose deadline is at most `time`, as due customers. */
  *dueBy(time: number): Generator<DueCustomer> {
    while (this.#offered < this.#due.length) {
      const next = this.#due[this.#offered] as { customer: WalkedCustomer; deadline: number };
      if (next.deadline > time) return;
      this.#offered++;
      const { customerId, nextPollAt, idlePolls } = next.customer;
      yield { customerId, nextPollAt, idlePolls, coverage: 'backstop' };
    }
  }

  /**
   * Once the claims stop: what the tick had no room for goes back on the due index (so the walk
   * goes on and loses nobody), then the walk is saved past this step.
   */
  async settle(): Promise<void> {
    if (this.#step === undefined) return;
    const left = this.#due.slice(this.#offered);
    try {
      if (left.length > 0) {
        await this.#step.putBackOnIndex(
          left.map(({ customer, deadline }) => ({ customer, dueAt: deadline })),
        );
      }
      await this.#step.advance();
    } catch (error) {
      this.#deps.logger?.warn('Backstop walk not saved; the step is walked again', {
        reason: describeError(error),
      });
    }
  }
}

/**
 * Claims from an iterator of due customers, leaving the iterator open when the caller stops, so a
 * sweep can go on reading what stayed due (for its overdue count) without claiming it.
 */
async function* claimFrom(
  due: AsyncIterator<DueCustomer>,
  deps: ClaimDependencies,
  options: ClaimOptions & {
    onDue?: (customer: DueCustomer, claimed: ClaimResult | undefined) => void;
    /** Without it, a failed claim ends the iteration with its error. */
    onClaimError?: (customer: DueCustomer, error: unknown) => void;
  },
): AsyncGenerator<ClaimedCustomer> {
  let claims = 0;
  while (options.limit === undefined || claims < options.limit) {
    const next = await due.next();
    if (next.done) return;
    let claimed: ClaimResult | undefined;
    const { maxIntervalMs, ...request } = claimRequest(next.value, options, deps.clock().getTime());
    try {
      claimed = await deps.store.claim(next.value, { ...request, deadline: options.deadline });
    } catch (error) {
      // One customer's broken schedule item (or a throttled write) must not stop the others.
      if (!options.onClaimError) throw error;
      options.onClaimError(next.value, error);
      continue;
    }
    options.onDue?.(next.value, claimed);
    if (claimed === undefined) continue;
    claims++;
    // What the store found is reported here; the poll gets the claim alone.
    const { rebuiltFields: _rebuilt, fastClockClaimedUntil: _fastClock, ...claim } = claimed;
    yield maxIntervalMs === options.policy.maxIntervalMs ? claim : { ...claim, maxIntervalMs };
  }
}

export interface DueBacklog {
  /** Due customers whose claim failed (after the retries the deadline allowed): skipped. */
  claimErrors: number;
  /** Schedule items that could not be read, rebuilt from the cursor when claimed. */
  corruptItems: number;
  /** Due customers left for later: read after the claims stopped, up to `overdueScanLimit`. */
  deferred: number;
  /** Of those, the ones whose staleness exceeds the longest interval. */
  overdue: number;
  /**
   * The oldest staleness among the due customers read (when claimed, or when the claims stopped),
   * seconds; `undefined` when none was due. Estimated from the due index.
   */
  oldestStalenessSeconds: number | undefined;
}

/**
 * Claims due customers, most overdue first, and hands the claims to `consume` (which stops taking
 * them when its budget is spent); then reads on down the due index, a bounded way, to count what
 * stays due, so a sweep or tick that cannot keep up says so. Nothing more is claimed meanwhile.
 */
export async function claimThenCountBacklog(
  deps: ClaimDependencies & { logger: Logger },
  options: ClaimOptions & {
    /** Told of each failed claim, after it is logged and counted; the claims go on. */
    onClaimError?: (customer: DueCustomer, error: unknown) => void;
    /** Due customers read after the claims stopped, to count the overdue ones. Default 1,000. */
    overdueScanLimit?: number | undefined;
  },
  consume: (claims: AsyncGenerator<ClaimedCustomer>) => Promise<void>,
): Promise<DueBacklog> {
  const backlog: DueBacklog = {
    claimErrors: 0,
    corruptItems: 0,
    deferred: 0,
    overdue: 0,
    oldestStalenessSeconds: undefined,
  };
  let oldestStalenessMs: number | undefined;
  const noteStaleness = (due: DueCustomer, now: number) => {
    const staleness = estimatedStalenessMs(due, policyOf(due, options), now);
    oldestStalenessMs = Math.max(oldestStalenessMs ?? staleness, staleness);
    return staleness;
  };
  const reading = readDue(deps, options);
  const { due } = reading;
  try {
    await consume(
      claimFrom(due, deps, {
        ...options,
        onDue: (customer, claimed) => {
          if (claimed) noteStaleness(customer, deps.clock().getTime());
          if (claimed) reportFindings(customer, claimed, backlog, deps.logger);
        },
        // One customer's throttled or broken claim never stops the others; it still counts
        // towards staleness, and as overdue once past the longest interval.
        onClaimError: (customer, error) => {
          backlog.claimErrors++;
          const staleness = noteStaleness(customer, deps.clock().getTime());
          if (staleness > policyOf(customer, options).maxIntervalMs) backlog.overdue++;
          deps.logger.error('Customer not claimed; skipped until a later tick or sweep', {
            customerId: customer.customerId,
            reason: describeError(error),
          });
          options.onClaimError?.(customer, error);
        },
      }),
    );
    // Before the count below reads on: what it reads is not offered a claim.
    await reading.settle();
    const now = deps.clock().getTime();
    const limit = options.overdueScanLimit ?? 1_000;
    for (let seen = 0; seen < limit; seen++) {
      const next = await due.next();
      if (next.done) break;
      backlog.deferred++;
      if (noteStaleness(next.value, now) > policyOf(next.value, options).maxIntervalMs) {
        backlog.overdue++;
      }
    }
  } finally {
    await due.return?.();
  }
  backlog.oldestStalenessSeconds =
    oldestStalenessMs === undefined ? undefined : Math.round(oldestStalenessMs / 1000);
  return backlog;
}

/** Logs and counts what a claim found wrong: an unreadable item, a fast clock's time. */
function reportFindings(
  customer: DueCustomer,
  claimed: ClaimResult,
  backlog: DueBacklog,
  logger: Logger,
): void {
  const { customerId } = customer;
  if (claimed.rebuiltFields !== undefined) {
    backlog.corruptItems++;
    // Field names only: a hand-edited value may be anything, personal data included.
    logger.error('Schedule item unreadable; rebuilt from the cursor item and the defaults', {
      customerId,
      fields: claimed.rebuiltFields,
    });
  }
  if (claimed.fastClockClaimedUntil !== undefined) {
    logger.warn('Claim expiring beyond the clock-skew bound treated as expired', {
      customerId,
      claimedUntil: new Date(claimed.fastClockClaimedUntil).toISOString(),
    });
  }
  if (customer.fastClock) {
    logger.warn('Next poll time beyond the clock-skew bound treated as due', {
      customerId,
      nextPollAt: new Date(customer.nextPollAt).toISOString(),
    });
  }
}

/**
 * How long since a due customer was last polled, from what the due index shows: its next poll
 * was set one interval (of its tier) after its last poll. Exact after a successful poll; a
 * customer never polled counts from when it was watched, plus one shortest interval.
 */
function estimatedStalenessMs(due: DueCustomer, policy: SchedulePolicy, now: number): number {
  // A hint is only kept for a customer not polled since its event: at least that old.
  if (isInLane(due.nextPollAt)) return Math.max(0, now - hintTimeOf(due.nextPollAt));
  return Math.max(0, now - due.nextPollAt + intervalAfter(policy, due.idlePolls));
}
