// How many customers to poll at once: Little's law. To keep `rate` requests a second going when
// each takes `latency` seconds, `rate × latency` must be in flight; a headroom covers the rest of
// a poll (DynamoDB, PutEvents) and latency jitter, and one more covers rounding. Requests beyond
// what the budget allows only queue at the quota gate, so erring high costs little.

const MIN_IN_FLIGHT = 1;
/** The most customers in flight, whatever the budget and latency. */
export const MAX_IN_FLIGHT = 256;
/** Before any request was timed. */
const DEFAULT_LATENCY_MS = 250;
/** Multiplies the Little's law figure unless a caller gives its own. */
export const IN_FLIGHT_HEADROOM = 2;

export interface InFlightOptions {
  /** Multiplies the Little's law figure. Default 2. */
  headroom?: number;
  /** Upper bound (`POLL_CONCURRENCY` when set). Default 256. */
  max?: number;
}

/** `ceil(rate × latency × headroom) + 1`, within [1, max]. */
export function inFlightFor(
  requestsPerSecond: number,
  latencyMs: number,
  options: InFlightOptions = {},
): number {
  const headroom = options.headroom ?? IN_FLIGHT_HEADROOM;
  const max = Math.max(MIN_IN_FLIGHT, Math.min(MAX_IN_FLIGHT, options.max ?? MAX_IN_FLIGHT));
  const wanted = Math.ceil(requestsPerSecond * (Math.max(0, latencyMs) / 1000) * headroom) + 1;
  if (!Number.isFinite(wanted)) return max;
  return Math.min(max, Math.max(MIN_IN_FLIGHT, wanted));
}

/**
 * An exponentially weighted moving average of request latencies that follows increases faster
 * than decreases: sizing low starves the budget, sizing high only queues at the gate.
 */
export class LatencyEstimate {
  #value: number | undefined;

  constructor(
    private readonly initialMs = DEFAULT_LATENCY_MS,
    private readonly riseWeight = 0.3,
    private readonly fallWeight = 0.05,
  ) {}

  observe(latencyMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
    if (this.#value === undefined) {
      this.#value = latencyMs;
      return;
    }
    const weight = latencyMs > this.#value ? this.riseWeight : this.fallWeight;
    this.#value += weight * (latencyMs - this.#value);
  }

  /** The estimate in ms (the initial guess until a request was timed). */
  get ms(): number {
    return this.#value ?? this.initialMs;
  }
}
