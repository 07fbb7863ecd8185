/**
 * How far ahead of a reader's clock a time written by another poller (or by hand) is trusted:
 * beyond it the time is clamped and logged, never waited for. NTP keeps real clocks within
 * milliseconds; 5 s is far past that and well short of what a broken clock does.
 */
export const MAX_CLOCK_SKEW_MS = 5_000;
