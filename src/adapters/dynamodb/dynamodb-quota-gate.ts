import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_CLOCK_SKEW_MS } from '../../domain/claim/clock-skew.js';
import { describeError, QuotaWaitError } from '../../domain/errors.js';
import {
  burstToleranceMs,
  checkedQuotaPolicy,
  pausedState,
  type QuotaPolicy,
  reserveSlots,
  slotReadiness,
} from '../../domain/gcra.js';
import type { Logger, QuotaGate } from '../../domain/ports.js';
import { type KnownQuota, QUOTA_ITEM_KEY, QuotaGateError, QuotaItem } from './quota-item.js';

/*
 * The Capillary budget of every poller on the table (Lambda workers, any CLI `poll`), kept in one
 * item of the poller's table (`quota-item.ts`). A poller takes a block of slots (about a second of
 * budget) per conditional UpdateItem, so DynamoDB sees about one write a second per busy poller
 * whatever the rate, and hands the slots out locally, one request each, at their evenly spaced
 * times.
 *
 * Clocks may disagree. Every write stamps the writer's clock (`updatedAt`), and the pollers follow
 * the slowest clock among them: a version written after this poller last saw the item, stamped
 * earlier than that, proves this clock ahead by at least the difference, and the gate sets its own
 * clock back by it (`clockCorrectionMs`). A write stamped ahead of the reader's clock comes from a
 * clock that has not caught up yet: its times are read relative to its stamp. A time still further
 * ahead than `MAX_CLOCK_SKEW_MS` (a hand edit) is clamped and logged, and no take waits longer than
 * `maxWaitMs`, so no stored time can stop the limiting or hold every poller back.
 */

export interface DynamoDbQuotaGateOptions {
  client: DynamoDBClient;
  tableName: string;
  /** `CAPILLARY_RPS`: the budget of all pollers on the table together. */
  ratePerSecond: number;
  /** Most requests at once after a quiet spell. Default `max(2, floor(ratePerSecond))`: a second's worth. */
  burst?: number;
  /** Budget taken per DynamoDB write when demand is high. Default 1 s. */
  blockSeconds?: number;
  /** Key of the quota item. Default `quota#capillary`. */
  key?: string;
  logger?: Logger;
  /** Epoch ms; shared meaning across pollers (skew between them is corrected). Default `Date.now`. */
  now?: () => number;
  /** Longest a take waits for its slot unless it says otherwise. Default 60 s. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called with each granted slot's time (epoch ms): tests and metrics. */
  onGrant?: (at: number) => void;
}

const MAX_WRITE_ATTEMPTS = 8;
const DEFAULT_MAX_WAIT_MS = 60_000;
/** The longest a timer can wait: `setTimeout` fires at once beyond it. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A stored pause is trusted up to the longest Retry-After the client honours (30 s) and the skew. */
const MAX_TRUSTED_PAUSE_MS = 30_000 + MAX_CLOCK_SKEW_MS;
/** Least time a write is taken to spend between its stamp and DynamoDB applying it. */
const MIN_TRANSIT_MS = 20;
/** Clock trouble is logged at most this often per poller. */
const SKEW_LOG_INTERVAL_MS = 60_000;
const NO_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export class DynamoDbQuotaGate implements QuotaGate {
  readonly policy: QuotaPolicy;
  readonly #item: QuotaItem;
  readonly #tableName: string;
  readonly #blockMs: number;
  readonly #fullBlock: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #onGrant: ((at: number) => void) | undefined;
  readonly #maxWaitMs: number;
  /** How far ahead of its clock (or of a pause) a block may start. */
  readonly #maxLeadMs: number;
  /** No block is taken before this (corrected clock): the budget ahead is long enough already. */
  #notBefore = Number.NEGATIVE_INFINITY;
  /** How far this poller's clock runs ahead of the slowest poller's: taken off every reading. */
  #offset = 0;
  /** The newest version of the item this poller saw, and its own clock when it asked for it. */
  #observed: { version: number; askedAt: number } | undefined;
  /** When each clock warning was last logged (uncorrected clock). */
  readonly #skewLoggedAt = new Map<string, number>();
  /** Slots this poller holds, ascending epoch ms. */
  #slots: number[] = [];
  #known: KnownQuota | undefined;
  #fetching: Promise<void> | undefined;
  /** Takers waiting for a slot. */
  #waiting = 0;
  /** Grant times within the last block length: the demand that sizes the next block. */
  #recent: number[] = [];
  #localPause = 0;
  #writes = 0;
  /** Duration of the last block write: slots are reserved that far ahead so none expire in transit. */
  #lastWriteMs = 0;

  constructor(options: DynamoDbQuotaGateOptions) {
    this.policy = checkedQuotaPolicy(options.ratePerSecond, options.burst, 2);
    const { ratePerSecond } = this.policy;
    this.#item = new QuotaItem(options.client, options.tableName, options.key ?? QUOTA_ITEM_KEY);
    this.#tableName = options.tableName;
    this.#blockMs = (options.blockSeconds ?? 1) * 1000;
    this.#fullBlock = Math.max(1, Math.round((ratePerSecond * this.#blockMs) / 1000));
    this.#logger = options.logger ?? NO_LOGGER;
    this.#now = options.now ?? Date.now;
    this.#sleep =
      options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))));
    this.#random = options.random ?? Math.random;
    this.#onGrant = options.onGrant;
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    this.#maxLeadMs = Math.max(0, MAX_CLOCK_SKEW_MS - this.#blockMs);
  }

  /** How far this poller's clock was found ahead of the slowest poller's, ms (taken off its readings). */
  get clockCorrectionMs(): number {
    return this.#offset;
  }

  /** Conditional writes made so far (block takes, pauses, item creation). */
  get writes(): number {
    return this.#writes;
  }

  async take(maxWaitMs = this.#maxWaitMs): Promise<void> {
    const bound = Math.min(maxWaitMs, MAX_TIMER_MS);
    // On the uncorrected clock: a correction meanwhile moves every slot, not this bound.
    const giveUpAt = this.#now() + bound;
    this.#waiting++;
    let waiting = true;
    try {
      for (;;) {
        const now = this.#clock();
        const slot = this.#nextSlot(now);
        if (slot === undefined) {
          if (now >= giveUpAt - this.#offset) throw new QuotaWaitError(bound);
          if (this.#notBefore > now) {
            if (this.#notBefore > giveUpAt - this.#offset) throw new QuotaWaitError(bound);
            await this.#sleep(this.#notBefore - now);
          }
          await this.#refill();
          continue;
        }
        if (slot > giveUpAt - this.#offset) {
          // Too far off: left for a taker that can wait for it.
          this.#slots.unshift(slot);
          throw new QuotaWaitError(bound);
        }
        this.#waiting--;
        waiting = false;
        const at = Math.max(slot, now);
        this.#recent.push(at);
        this.#onGrant?.(at);
        this.#prefetchIfLow(now);
        if (slot > now) await this.#sleep(slot - now);
        return;
      }
    } finally {
      if (waiting) this.#waiting--;
    }
  }

  /**
   * Holds back this poller's requests at once and writes the pause to the quota item, where every
   * other poller finds it with its next block (within about a second). A failed write is logged:
   * the local pause still holds.
   */
  async pauseFor(ms: number): Promise<void> {
    const now = this.#clock();
    const until = now + ms;
    this.#localPause = Math.max(this.#localPause, until);
    this.#slots = this.#slots.filter((slot) => slot >= until);
    try {
      this.#writes++;
      const askedAt = this.#now();
      const after = await this.#item.pause(until, now);
      if (after) this.#known = this.#interpret(after, askedAt); // else someone paused longer already
    } catch (error) {
      this.#logger.warn('Could not share the Capillary pause with the other pollers', {
        table: this.#tableName,
        pauseMs: ms,
        problem: describeError(error),
      });
    }
  }

  /** The next usable slot, dropping those too late to use or inside a pause. */
  #nextSlot(now: number): number | undefined {
    for (let slot = this.#slots.shift(); slot !== undefined; slot = this.#slots.shift()) {
      if (slot < this.#localPause) continue;
      if (slotReadiness(slot, now, this.policy).kind !== 'expired') return slot;
    }
    return undefined;
  }

  /** Fetches the next block before the held slots run out, so a busy poller never waits on DynamoDB. */
  #prefetchIfLow(now: number): void {
    if (this.#fetching || this.#recent.length < 2 || this.#notBefore > now) return;
    // Just early enough to cover the write: a block held far ahead is budget lost if this poller
    // stops (end of a sweep) while others wait.
    const lead = Math.min(this.#blockMs / 2, Math.max(50, 4 * this.#lastWriteMs));
    const last = this.#slots.at(-1) ?? now;
    if (last - now > lead) return;
    this.#refill().catch((error: unknown) => {
      // The next take that needs a slot tries again and fails the poll if it must.
      this.#logger.warn('Could not take Capillary budget ahead', {
        table: this.#tableName,
        problem: describeError(error),
      });
    });
  }

  #refill(): Promise<void> {
    this.#fetching ??= this.#takeBlock().finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  /**
   * Demand over the next block length: the grants of the last block length, scaled up when this
   * poller has been taking for less than that (so a poller that just started ramps up at once),
   * and at least the takers waiting now. Up to a full block.
   */
  #blockSize(now: number): number {
    this.#recent = this.#recent.filter((at) => at > now - this.#blockMs);
    const first = this.#recent[0];
    const observedMs = first === undefined ? this.#blockMs : Math.max(50, now - first);
    const rate = (this.#recent.length * this.#blockMs) / Math.min(this.#blockMs, observedMs);
    return Math.min(this.#fullBlock, Math.max(1, this.#waiting, Math.ceil(rate)));
  }

  async #takeBlock(): Promise<void> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const known = this.#known ?? (await this.#read());
      const now = this.#clock();
      const base = pausedState(known.state, this.#localPause);
      // A slot more than the burst tolerance old cannot be used: reserve as of when the write
      // is expected back, so the block's first slots are still usable on arrival.
      const transit = Math.min(
        Math.max(2 * this.#lastWriteMs, 50),
        burstToleranceMs(this.policy) / 2,
      );
      const reserved = reserveSlots(base, this.policy, this.#blockSize(now), now + transit);
      // No block starts further ahead than the skew bound allows less a block, so every time in
      // the item stays within the bound and a time beyond it can only be a clock's or a hand's.
      const tooEarlyBy =
        (reserved.slots[0] ?? now) - (Math.max(now, base.pausedUntil) + this.#maxLeadMs);
      if (tooEarlyBy > 0) {
        this.#notBefore = now + tooEarlyBy;
        // Kept as read (and clamped): clamped again later, the time would move with the clock.
        this.#known = known;
        return;
      }
      const version = (known.version ?? 0) + 1;
      this.#writes++;
      const askedAt = this.#now();
      const answer = await this.#item
        .reserve(reserved.state, known.version, this.policy.ratePerSecond, now)
        .catch((error: unknown) => {
          this.#known = undefined;
          throw error;
        });
      if (answer.written) {
        this.#lastWriteMs = this.#now() - askedAt;
        this.#known = { state: reserved.state, version, writtenAt: now };
        this.#observed = { version, askedAt };
        this.#slots.push(...reserved.slots);
        return;
      }
      // Another poller wrote first: start again from what it wrote.
      this.#known = this.#interpret(answer.current, askedAt);
      if (attempt > 2) await this.#sleep(this.#random() * 20 * attempt);
    }
    throw new QuotaGateError(
      this.#tableName,
      `${MAX_WRITE_ATTEMPTS} conditional writes in a row lost to other pollers`,
    );
  }

  /** This poller's clock, set back by what it was found ahead of the others. */
  #clock(): number {
    return this.#now() - this.#offset;
  }

  async #read(): Promise<KnownQuota> {
    const askedAt = this.#now();
    return this.#interpret(await this.#item.read(), askedAt);
  }

  /**
   * The item as this poller should read it, asked for at `askedAt` (uncorrected clock): learns
   * whether this clock is ahead of the writer's, reads a write from a clock ahead relative to its
   * stamp, and clamps what is still too far ahead.
   */
  #interpret<T extends KnownQuota | undefined>(seen: T, askedAt: number): T {
    if (seen === undefined) return seen;
    const { version, writtenAt } = seen;
    if (version !== undefined) {
      const previous = this.#observed;
      if (previous && writtenAt !== undefined && version > previous.version) {
        // Written after this poller last asked, yet stamped earlier: this clock is ahead by that
        // much, less what the writer's request spent in transit after its stamp (a slow write
        // sent before this poller asked can land after it), taken as twice this poller's own.
        const inTransit = Math.max(MIN_TRANSIT_MS, 2 * this.#lastWriteMs);
        const ahead = previous.askedAt - this.#offset - writtenAt - inTransit;
        if (ahead > 0) this.#setClockBack(ahead);
      }
      this.#observed = { version, askedAt };
    }
    const now = this.#clock();
    let { tat, pausedUntil } = seen.state;
    const lead = writtenAt === undefined ? 0 : writtenAt - now;
    if (lead > 0) {
      // A clock that has not caught up yet: its times count from its stamp, not from this clock.
      tat -= lead;
      pausedUntil -= lead;
      if (lead > MAX_CLOCK_SKEW_MS) {
        this.#warnSkew('Quota item written by a clock ahead of this poller: read relative to it', {
          aheadMs: Math.round(lead),
        });
      }
    }
    if (pausedUntil > now + MAX_TRUSTED_PAUSE_MS) {
      this.#warnSkew('Quota item time too far ahead: clamped, not trusted', {
        field: 'pausedUntil',
        aheadMs: Math.round(pausedUntil - now),
        clampedToMs: MAX_TRUSTED_PAUSE_MS,
      });
      pausedUntil = now + MAX_TRUSTED_PAUSE_MS;
    }
    // Blocks start at most `#maxLeadMs` ahead (of the clock, or of a pause), so budget is never
    // promised further ahead than the skew bound: the furthest a trusted time can be.
    const furthest = Math.max(now, pausedUntil) + MAX_CLOCK_SKEW_MS;
    if (tat > furthest) {
      this.#warnSkew('Quota item time too far ahead: clamped, not trusted', {
        field: 'tat',
        aheadMs: Math.round(tat - now),
        clampedToMs: MAX_CLOCK_SKEW_MS,
      });
      tat = furthest;
    }
    return { ...seen, state: { tat, pausedUntil } };
  }

  /** Moves this poller's clock, and every time it holds, `by` ms back. */
  #setClockBack(by: number): void {
    this.#offset += by;
    this.#slots = this.#slots.map((slot) => slot - by);
    this.#recent = this.#recent.map((at) => at - by);
    this.#localPause -= by;
    this.#notBefore -= by;
    const known = this.#known;
    if (known) {
      const { tat, pausedUntil } = known.state;
      this.#known = {
        ...known,
        state: { tat: tat - by, pausedUntil: pausedUntil - by },
        writtenAt: known.writtenAt === undefined ? undefined : known.writtenAt - by,
      };
    }
    if (this.#offset > MAX_CLOCK_SKEW_MS) {
      this.#warnSkew("This poller's clock is ahead of another poller's: following the slower one", {
        clockCorrectionMs: Math.round(this.#offset),
      });
    }
  }

  #warnSkew(message: string, attributes: Record<string, unknown>): void {
    const now = this.#now();
    const key = `${message} ${String(attributes.field)}`;
    if (now - (this.#skewLoggedAt.get(key) ?? Number.NEGATIVE_INFINITY) < SKEW_LOG_INTERVAL_MS) {
      return;
    }
    this.#skewLoggedAt.set(key, now);
    this.#logger.warn(message, { table: this.#tableName, ...attributes });
  }
}
