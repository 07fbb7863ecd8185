import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeError } from '../../domain/errors.js';
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
 * times. Clocks of the pollers are assumed in step (NTP): a poller whose clock is off by d ms adds
 * at most rate × d / 1000 requests to a burst.
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
  /** Epoch ms; shared meaning across pollers. Default `Date.now`. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called with each granted slot's time (epoch ms): tests and metrics. */
  onGrant?: (at: number) => void;
  /** Called with the slots of each block this poller reserved (epoch ms): tests. */
  onReserve?: (slots: readonly number[]) => void;
  /**
   * Give held budget back after a quiet spell with no taker. Default false: the multi-poller
   * proof (`npm run proofs`) measured three pollers releasing this way at 1.04 × the budget, so
   * holding at most one block (about a second) unused is the safe default until that is fixed.
   */
  releaseWhenIdle?: boolean;
}

const MAX_WRITE_ATTEMPTS = 8;
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
  readonly #onReserve: ((slots: readonly number[]) => void) | undefined;
  readonly #releaseWhenIdle: boolean;
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
  #expired = 0;
  /** Duration of the last block write: slots are reserved that far ahead so none expire in transit. */
  #lastWriteMs = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #releasing = false;

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
    this.#onReserve = options.onReserve;
    this.#releaseWhenIdle = options.releaseWhenIdle ?? false;
  }

  /** Slots that came too late to use (takers behind, a stalled process): budget lost. */
  get expiredSlots(): number {
    return this.#expired;
  }

  /** Conditional writes made so far (block takes, pauses, item creation). */
  get writes(): number {
    return this.#writes;
  }

  async take(): Promise<void> {
    this.#waiting++;
    let waiting = true;
    try {
      for (;;) {
        const now = this.#now();
        const slot = this.#nextSlot(now);
        if (slot === undefined) {
          await this.#refill();
          continue;
        }
        this.#waiting--;
        waiting = false;
        const at = Math.max(slot, now);
        this.#recent.push(at);
        this.#onGrant?.(at);
        this.#prefetchIfLow(now);
        this.#armIdleRelease(Math.max(slot, now));
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
    const until = this.#now() + ms;
    this.#localPause = Math.max(this.#localPause, until);
    this.#slots = this.#slots.filter((slot) => slot >= until);
    try {
      this.#writes++;
      const after = await this.#item.pause(until, this.#now());
      if (after) this.#known = after; // else someone paused longer already
    } catch (error) {
      this.#logger.warn('Could not share the Capillary pause with the other pollers', {
        table: this.#tableName,
        pauseMs: ms,
        problem: describeError(error),
      });
    }
  }

  /**
   * Gives the slots this poller holds back to the others when no one reserved after it (the
   * item's version is still the one it wrote): the end of a sweep then costs no budget. `false`
   * when another poller wrote since (the held slots then simply expire unused). Called on its own
   * once the poller has taken nothing for a while; callers may also call it when they stop.
   */
  async release(): Promise<boolean> {
    const known = this.#known;
    const first = this.#slots[0];
    if (this.#releasing || this.#fetching || known?.version === undefined || first === undefined) {
      return false;
    }
    this.#releasing = true;
    // Set aside: a taker arriving meanwhile must not use a slot that may be given back.
    const held = this.#slots;
    this.#slots = [];
    let released = false;
    try {
      const tat = Math.max(first, this.#now());
      if (tat >= known.state.tat) return false;
      const version = known.version + 1;
      this.#writes++;
      if (!(await this.#item.release(tat, known.version, this.#now()))) return false;
      this.#known = { state: { ...known.state, tat }, version };
      released = true;
      return true;
    } catch (error) {
      this.#logger.warn('Could not give unused Capillary budget back', {
        table: this.#tableName,
        problem: describeError(error),
      });
      return false;
    } finally {
      // Not given back: still this poller's, before any block fetched meanwhile.
      if (!released) this.#slots = [...held, ...this.#slots];
      this.#releasing = false;
    }
  }

  /** After the last grant's time plus a short quiet spell with no taker, gives the rest back. */
  #armIdleRelease(lastGrant: number): void {
    if (!this.#releaseWhenIdle) return;
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    const quietMs = Math.max(100, 4 * this.#lastWriteMs, 2 * (1000 / this.policy.ratePerSecond));
    this.#idleTimer = setTimeout(
      () => {
        this.#idleTimer = undefined;
        if (this.#waiting === 0) void this.release();
      },
      Math.max(0, lastGrant - this.#now()) + quietMs,
    );
    this.#idleTimer.unref?.();
  }

  /** The next usable slot, dropping those too late to use or inside a pause. */
  #nextSlot(now: number): number | undefined {
    for (let slot = this.#slots.shift(); slot !== undefined; slot = this.#slots.shift()) {
      if (slot < this.#localPause) continue;
      if (slotReadiness(slot, now, this.policy).kind !== 'expired') return slot;
      this.#expired++;
    }
    return undefined;
  }

  /** Fetches the next block before the held slots run out, so a busy poller never waits on DynamoDB. */
  #prefetchIfLow(now: number): void {
    if (this.#fetching || this.#recent.length < 2) return;
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
      const known = this.#known ?? (await this.#item.read());
      const now = this.#now();
      const base = pausedState(known.state, this.#localPause);
      // A slot more than the burst tolerance old cannot be used: reserve as of when the write
      // is expected back, so the block's first slots are still usable on arrival.
      const transit = Math.min(
        Math.max(2 * this.#lastWriteMs, 50),
        burstToleranceMs(this.policy) / 2,
      );
      const reserved = reserveSlots(base, this.policy, this.#blockSize(now), now + transit);
      const version = (known.version ?? 0) + 1;
      this.#writes++;
      const sentAt = this.#now();
      const answer = await this.#item
        .reserve(reserved.state, known.version, this.policy.ratePerSecond, now)
        .catch((error: unknown) => {
          this.#known = undefined;
          throw error;
        });
      if (answer.written) {
        this.#lastWriteMs = this.#now() - sentAt;
        this.#known = { state: reserved.state, version };
        this.#slots.push(...reserved.slots);
        this.#onReserve?.(reserved.slots);
        return;
      }
      // Another poller wrote first: start again from what it wrote.
      this.#known = answer.current;
      if (attempt > 2) await this.#sleep(this.#random() * 20 * attempt);
    }
    throw new QuotaGateError(
      this.#tableName,
      `${MAX_WRITE_ATTEMPTS} conditional writes in a row lost to other pollers`,
    );
  }
}
