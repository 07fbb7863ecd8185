// What both Lambda handlers build once per container: settings and the Powertools logger behind
// the domain's Logger port (the credentials loader is in capillary-secret.ts).
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

/**
 * When an invocation stops starting work, and when it stops publishing. A poll is bounded by its
 * claim and its request timeout (`pollBoundMs`), so the worker starts customers until that bound
 * before its end (at most half of what remains), instead of idling a fixed share of it; nothing
 * is published in the last 5 s, so a cursor is never left unsaved behind published events.
 */
export function invocationDeadlines(
  now: number,
  remainingMs: number,
  pollBoundMs: number,
): { deadline: number; publishBy: number } {
  const margin = Math.min(Math.max(5_000, pollBoundMs), remainingMs / 2);
  return { deadline: now + remainingMs - margin, publishBy: now + remainingMs - 5_000 };
}

/**
 * When a scheduler tick stops claiming: in the last 20% of its time, at least 5 s, so every
 * customer it claims is queued before the invocation ends.
 */
export function tickDeadline(now: number, remainingMs: number): number {
  return now + remainingMs - Math.max(5_000, remainingMs * 0.2);
}
