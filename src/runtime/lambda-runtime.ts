// What the Lambda handlers' dependencies are built with: the Powertools logger behind the domain's
// Logger port, and each invocation's deadlines (the credentials loader is in capillary-secret.ts).
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../domain/ports.js';

/** The shortest interval when POLL_INTERVAL_SECONDS is unset: the schedule's default minute. */
export const LAMBDA_DEFAULT_INTERVAL_SECONDS = 60;

export function domainLogger(logger: PowertoolsLogger): Logger {
  return {
    debug: (message, attributes = {}) => logger.debug(message, attributes),
    info: (message, attributes = {}) => logger.info(message, attributes),
    warn: (message, attributes = {}) => logger.warn(message, attributes),
    error: (message, attributes = {}) => logger.error(message, attributes),
  };
}

/** Every request of an invocation is over this long before its end, so the handler can return. */
export const REQUESTS_END_MS = 1_000;
/** No Capillary request, PutEvents or parking runs in an invocation's last 5 s: the cursor write's. */
export const CURSOR_WRITE_RESERVE_MS = 5_000;
/** One poll's bound beyond its request timeout: publishing its window and writing its cursor. */
export const POLL_BOUND_BEYOND_TIMEOUT_MS = 5_000;
/** A scheduler tick stops claiming in this share of its time, and at least this long, before its end. */
export const TICK_CLAIM_RESERVE = { share: 0.2, atLeastMs: 5_000 } as const;

/**
 * When an invocation stops starting work, when it stops publishing, and when its requests must be
 * over. A poll is bounded by its claim and its request timeout (`CAPILLARY_TIMEOUT_MS`) plus 5 s,
 * so the worker starts customers until that bound before its end (at most half of what remains),
 * instead of idling a fixed share of it. Nothing is fetched, published or parked in the last 5 s
 * (every such request is cut at `publishBy`), so the cursor write after a PutEvents always has
 * time, and every request (the cursor write too) is over 1 s before the end.
 */
export function invocationDeadlines(
  now: number,
  remainingMs: number,
  requestTimeoutMs: number,
): { deadline: number; publishBy: number; requestsBy: number } {
  const end = now + remainingMs;
  // One poll: its request timeout, then its publishing and cursor write.
  const pollBoundMs = requestTimeoutMs + POLL_BOUND_BEYOND_TIMEOUT_MS;
  const margin = Math.min(Math.max(CURSOR_WRITE_RESERVE_MS, pollBoundMs), remainingMs / 2);
  return {
    deadline: end - margin,
    publishBy: end - CURSOR_WRITE_RESERVE_MS,
    requestsBy: end - REQUESTS_END_MS,
  };
}

/**
 * When a scheduler tick stops claiming: in the last 20% of its time, at least 5 s, so every
 * customer it claims is queued before the invocation ends.
 */
export function tickDeadline(now: number, remainingMs: number): number {
  return (
    now +
    remainingMs -
    Math.max(TICK_CLAIM_RESERVE.atLeastMs, remainingMs * TICK_CLAIM_RESERVE.share)
  );
}

/** When a scheduler tick's requests must be over: 1 s before the invocation's end. */
export function tickRequestsBy(now: number, remainingMs: number): number {
  return now + remainingMs - REQUESTS_END_MS;
}
