import { setTimeout as delay } from 'node:timers/promises';
import { QuotaWaitError } from '../../domain/errors.js';
import { checkedQuotaPolicy } from '../../domain/gcra.js';
import type { QuotaGate } from '../../domain/ports.js';

/** The longest a timer can wait: `setTimeout` fires at once beyond it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TokenBucketOptions {
  /** Tokens added per second: the sustained request rate. */
  ratePerSecond: number;
  /** Most tokens held at once, i.e. the largest burst after a quiet spell. Default: `max(1, floor(ratePerSecond))`. */
  burst?: number;
  /** Monotonic clock in milliseconds. Default: `performance.now()`. */
  now?: () => number;
  /** Waits that many milliseconds. Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A token bucket shared by every request of one client. A request that finds the bucket empty
 * takes a token on credit and waits until that token would have been added, so requests are served
 * first come, first served, and never dropped. The budget of one process: the embedded (`npm start`)
 * runtime's quota gate, and the fallback where no table is shared.
 */
export class TokenBucket implements QuotaGate {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** May be negative: tokens already promised to waiting requests. */
  private tokens: number;
  private updatedAt: number;
  /** No request goes out before this (the server asked everyone to wait). */
  private pausedUntil = Number.NEGATIVE_INFINITY;

  constructor(options: TokenBucketOptions) {
    const { ratePerSecond, burst } = checkedQuotaPolicy(options.ratePerSecond, options.burst, 1);
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.tokens = burst;
    this.updatedAt = this.now();
  }

  /**
   * Takes one token now (on credit when the bucket is empty) and returns how many milliseconds
   * the caller must wait before using it. Pure accounting: it never waits itself.
   */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    const forToken = this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
    return Math.max(forToken, Math.ceil(this.pausedUntil - this.updatedAt));
  }

  /**
   * Holds every request back for `ms` (a 429's Retry-After): the limit is the API key's, so one
   * throttled request means the others would be throttled too.
   */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /**
   * Resolves when the caller may send one request; throws `QuotaWaitError` (the token given back)
   * when that is more than `maxWaitMs` away.
   */
  async take(maxWaitMs = Number.POSITIVE_INFINITY): Promise<void> {
    const wait = this.reserve();
    if (wait > maxWaitMs) {
      this.tokens += 1;
      throw new QuotaWaitError(maxWaitMs);
    }
    // setTimeout fires at once past 2^31 - 1 ms: a longer wait is served in parts.
    for (let left = wait; left > 0; left -= MAX_TIMER_MS)
      await this.sleep(Math.min(left, MAX_TIMER_MS));
  }

  /** Tokens available right now; negative when requests are queued for future tokens. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = now - this.updatedAt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.updatedAt = now;
  }
}
