// What both Lambda handlers build once per container: settings, the Powertools logger behind the
// domain's Logger port, and the credentials loader (Secrets Manager, cached).
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { CapillaryCredentials } from '../adapters/capillary/credentials-cache.js';
import type { Settings } from '../config/settings.js';
import type { Logger } from '../domain/ports.js';
import { parseCapillarySecret } from './capillary-secret.js';

/** The shortest interval when POLL_INTERVAL_SECONDS is unset: the schedule's default minute. */
export const LAMBDA_DEFAULT_INTERVAL_SECONDS = 60;
/** How long the credentials read from Secrets Manager are reused before being read again. */
export const SECRET_MAX_AGE_SECONDS = 300;

export function domainLogger(logger: PowertoolsLogger): Logger {
  return {
    debug: (message, attributes = {}) => logger.debug(message, attributes),
    info: (message, attributes = {}) => logger.info(message, attributes),
    warn: (message, attributes = {}) => logger.warn(message, attributes),
    error: (message, attributes = {}) => logger.error(message, attributes),
  };
}

/** Credentials from the secret (read by ARN, cached 5 minutes), or the configured ones. */
export function credentialsLoader(
  settings: Settings,
): CapillaryCredentials | (() => Promise<CapillaryCredentials>) | undefined {
  const { secretArn, authKind } = settings.capillary;
  if (secretArn === undefined) return settings.capillary.credentials;
  return async () =>
    parseCapillarySecret(await getSecret(secretArn, { maxAge: SECRET_MAX_AGE_SECONDS }), authKind);
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
