// The generic cell rate algorithm (GCRA) behind the shared Capillary budget, as plain arithmetic
// on epoch milliseconds: the DynamoDB quota gate keeps `QuotaState` in one item and calls these.
//
// The state is one number, `tat` (theoretical arrival time): budget is promised up to it. Taking
// `count` requests claims the slots `start, start + T, …` (T = 1000 / rate) and moves `tat` past
// them; `start` may lie up to the burst tolerance in the past (unused budget of a quiet spell) but
// never before `tat` (budget already promised) nor inside a 429 pause. A slot is used at or after
// its time and at most the tolerance after it (a later use would add to someone else's burst).
// Hence in any window of W ms at most rate × W / 1000 + burst slots are used, over any
// interleaving of takers: every used slot lies in [window start − tolerance, window end], and the
// slots are T apart.

export interface QuotaPolicy {
  /** Sustained requests per second. */
  ratePerSecond: number;
  /** Most requests at once after a quiet spell (at least 1). */
  burst: number;
}

export interface QuotaState {
  /** Budget is promised up to this epoch ms. */
  tat: number;
  /** No slot starts before this epoch ms (a 429's Retry-After); 0 when never paused. */
  pausedUntil: number;
}

/**
 * The policy of a configured rate and burst, checked (the rate positive, the burst at least 1):
 * the one check of both budgets, the process's token bucket and the table's quota gate. Without a
 * burst, a second's worth and at least `minBurst`.
 */
export function checkedQuotaPolicy(
  ratePerSecond: number,
  burst: number | undefined,
  minBurst: number,
): QuotaPolicy {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
  }
  const checkedBurst = burst ?? Math.max(minBurst, Math.floor(ratePerSecond));
  if (!Number.isFinite(checkedBurst) || checkedBurst < 1) {
    throw new RangeError(`burst must be at least 1, got ${checkedBurst}`);
  }
  return { ratePerSecond, burst: checkedBurst };
}

export const EMPTY_QUOTA_STATE: QuotaState = { tat: 0, pausedUntil: 0 };

/** Milliseconds between two slots. */
function slotIntervalMs(policy: QuotaPolicy): number {
  return 1000 / policy.ratePerSecond;
}

/** How long after its time a slot may still be used (and how far back unused budget reaches). */
export function burstToleranceMs(policy: QuotaPolicy): number {
  return (policy.burst - 1) * slotIntervalMs(policy);
}

/** Claims `count` consecutive slots at `now`: the new state and the slots' times, ascending. */
export function reserveSlots(
  state: QuotaState,
  policy: QuotaPolicy,
  count: number,
  now: number,
): { state: QuotaState; slots: number[] } {
  const interval = slotIntervalMs(policy);
  const start = Math.max(state.tat, now - burstToleranceMs(policy), state.pausedUntil);
  const slots = Array.from({ length: count }, (_, index) => start + index * interval);
  return { state: { ...state, tat: start + count * interval }, slots };
}

export type SlotReadiness =
  | { kind: 'ready' }
  | { kind: 'wait'; ms: number }
  /** Too late: using it now could exceed the budget. */
  | { kind: 'expired' };

/** Whether the slot at `slot` may be used at `now`. */
export function slotReadiness(slot: number, now: number, policy: QuotaPolicy): SlotReadiness {
  if (now < slot) return { kind: 'wait', ms: slot - now };
  if (now - slot > burstToleranceMs(policy)) return { kind: 'expired' };
  return { kind: 'ready' };
}

/** The state with slots held back until `until` (never shortens an earlier, longer pause). */
export function pausedState(state: QuotaState, until: number): QuotaState {
  return { ...state, pausedUntil: Math.max(state.pausedUntil, until) };
}

/**
 * How far the busiest window of `grants` (use times, epoch ms) goes over the budget: the most, over
 * every window whose ends are grants (where the maximum lies), of used slots minus
 * rate × window / 1000 + burst. At most 0 when the budget was kept.
 */
export function largestExcess(grants: readonly number[], policy: QuotaPolicy): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let worst = Number.NEGATIVE_INFINITY;
  for (let first = 0; first < sorted.length; first++) {
    for (let last = first; last < sorted.length; last++) {
      const windowMs = (sorted[last] as number) - (sorted[first] as number);
      const allowed = (policy.ratePerSecond * windowMs) / 1000 + policy.burst;
      worst = Math.max(worst, last - first + 1 - allowed);
    }
  }
  return worst;
}

/**
 * The share of the budget `grants` used between the first and the last of them:
 * grants ÷ (rate × span / 1000 + burst). 1 is a budget kept full.
 */
export function quotaUse(grants: readonly number[], policy: QuotaPolicy): number {
  if (grants.length === 0) return 0;
  const spanMs = Math.max(...grants) - Math.min(...grants);
  return grants.length / ((policy.ratePerSecond * spanMs) / 1000 + policy.burst);
}
