export interface BackoffOptions {
  /** Delay ceiling before the first retry; doubles with every retry. */
  baseDelayMs: number;
  /** Largest delay ceiling. */
  maxDelayMs: number;
}

/**
 * "Equal jitter" exponential backoff: after attempt `n` (1-based) the ceiling is
 * `min(max, base * 2^(n-1))` and the delay is uniformly between half the ceiling and the ceiling.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  const jitter = Math.min(1, Math.max(0, random()));
  return Math.round(ceiling / 2 + (ceiling / 2) * jitter);
}
