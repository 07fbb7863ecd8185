export interface BackoffOptions {
  /** Delay ceiling before the first retry; doubles with every retry. */
  baseDelayMs: number;
  /** Largest delay ceiling. */
  maxDelayMs: number;
  /**
   * `equal`: between half the ceiling and the ceiling, so a retry never goes at once (Capillary:
   * one client, whose retry of a 5xx at once would meet the same fault). `full`: anywhere from 0
   * to the ceiling, spreading many concurrent senders furthest apart (PutEvents batches).
   */
  jitter: 'equal' | 'full';
}

/**
 * The one exponential backoff: after attempt `n` (1-based) the ceiling is
 * `min(max, base * 2^(n-1))`, and the delay is drawn below it as `jitter` says.
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  const draw = Math.min(1, Math.max(0, random()));
  if (options.jitter === 'full') return Math.floor(draw * ceiling);
  return Math.round(ceiling / 2 + (ceiling / 2) * draw);
}
