import type { Logger, QuotaGate } from '../../domain/ports.js';
import { backoffDelayMs } from '../backoff.js';
import type { CapillaryError } from './capillary-errors.js';
import type { Failed, Verdict } from './exchange-interpreter.js';

export interface CapillaryRetryOptions {
  /** Backoff ceiling before the first retry (doubles each retry, jittered). Default 250 ms. */
  baseDelayMs?: number;
  /** Largest backoff ceiling. Default 5 s. */
  maxDelayMs?: number;
  /** `Retry-After` is honoured up to this. Default 30 s. */
  maxRetryAfterMs?: number;
}

export interface RetryPolicyOptions {
  /** Requests per call, first one included (a regeneration after a 401 gets one extra). */
  maxAttempts: number;
  retry?: CapillaryRetryOptions | undefined;
  /** Paused for a 429's Retry-After, so every request of the API key waits. */
  quota: QuotaGate;
  sleep: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random: () => number;
  /** Epoch ms by which every request must be over: no retry waits past it. Default: none. */
  deadline?: (() => number) | undefined;
  /** Already redacting. */
  logger: Logger;
}

/**
 * Retries a Capillary call: timeouts, network faults, 429 and 5xx, up to `maxAttempts`, with
 * equal-jitter backoff or the server's Retry-After (capped).
 *
 * Ours, not undici's RetryAgent: its retries happen inside one dispatch, so a retry could neither
 * take its share of the QuotaGate first (the gate is async and shared by every poller) nor pause
 * that gate for a 429, nor be timed and counted per attempt for the metrics; and it would hand
 * back only the last response, not the bounded, redacted reading of each failure.
 */
export class RetryPolicy {
  private readonly delays: { baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };

  constructor(private readonly options: RetryPolicyOptions) {
    this.delays = {
      baseDelayMs: options.retry?.baseDelayMs ?? 250,
      maxDelayMs: options.retry?.maxDelayMs ?? 5_000,
      maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 30_000,
    };
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the attempts run out; then throws
   * `toError(last failure, requests sent)`.
   */
  async run<T>(
    context: {
      operation: 'events' | 'event-log' | 'customer-lookup' | 'token';
      customerId?: string;
    },
    attempt: () => Promise<Verdict<T>>,
    toError: (failed: Failed, attempts: number) => CapillaryError,
  ): Promise<T> {
    const { maxAttempts, logger } = this.options;
    let counted = 0;
    let sent = 0;
    for (;;) {
      counted += 1;
      sent += 1;
      const verdict = await attempt();
      if (verdict.ok) return verdict.value;
      if (verdict.retryNow) {
        counted -= 1;
        logger.info('Capillary rejected the OAuth token (HTTP 401): regenerating it once', {
          ...context,
        });
        continue;
      }
      if (!verdict.retryable || counted >= maxAttempts) throw toError(verdict, sent);
      const delayMs =
        verdict.retryAfterMs === undefined
          ? backoffDelayMs(counted, { ...this.delays, jitter: 'equal' }, this.options.random)
          : Math.min(verdict.retryAfterMs, this.delays.maxRetryAfterMs);
      const { deadline } = this.options;
      if (deadline !== undefined && Date.now() + delayMs >= deadline()) {
        // A retry after the deadline could not be sent: the last failure is the answer.
        throw toError(verdict, sent);
      }

      logger.warn('Capillary request failed: retrying', {
        ...context,
        attempt: counted,
        maxAttempts,
        status: verdict.status,
        failure: verdict.failure,
        problem: verdict.detail,
        delayMs,
      });
      if (verdict.failure === 'throttled' && verdict.retryAfterMs !== undefined) {
        // The limit is the API key's: every request waits, this one too (its next send takes a
        // token from the paused gate).
        await this.options.quota.pauseFor(delayMs);
      } else {
        await this.options.sleep(delayMs);
      }
    }
  }
}
