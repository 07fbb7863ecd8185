/*
 * Pollers compare times another poller wrote (a claim's expiry, a next-poll time, the quota's
 * time) with their own clock. A clock that runs fast writes times that look far ahead to the
 * others; trusted, they would hold a customer (or the quota) hostage until real time caught up.
 * A stored time further ahead than the longest it can legitimately be, plus this bound, comes
 * from a fast clock or a hand edit: it is treated as expired (or due) and logged, never trusted.
 */

/** The clock skew tolerated between pollers (NTP keeps Lambda's and EC2's well under 1 s). */
export const MAX_CLOCK_SKEW_MS = 5_000;

/**
 * The latest time a poller with a sound clock could have written, now, for a time at most
 * `longestMs` ahead of its clock (a claim's length, the longest poll interval): anything later is
 * a fast clock's.
 */
export function latestTrustedTime(now: number, longestMs: number): number {
  return now + longestMs + MAX_CLOCK_SKEW_MS;
}
