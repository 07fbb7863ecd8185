// The scheduled Lambda: one sweep per invocation. Dependencies are built once per container.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { Context } from 'aws-lambda';
import { loadSettings, type Settings, schedulePolicy } from '../../src/config/settings.js';
import type { PollDependencies } from '../../src/domain/poll-customer.js';
import type { Logger as PollerLogger } from '../../src/domain/ports.js';
import { boundedSummary, runSweep } from '../../src/domain/run-sweep.js';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE } from '../../src/observability/metric-names.js';
import { sweepMetrics } from '../../src/observability/sweep-metrics.js';
import { parseCapillarySecret } from '../../src/runtime/capillary-secret.js';
import {
  createCursorStore,
  createDynamoDbClient,
  createPollDependencies,
} from '../../src/runtime/create-adapters.js';
import { POLLER_VERSION } from '../../src/version.js';

/**
 * No customer is started in the last part of an invocation (30% of it, 5 to 30 s), so the polls
 * in flight can finish; and no window is published in its last 5 s, so a cursor is never left
 * unsaved behind published events when the Lambda is stopped.
 */
export function sweepDeadlines(
  now: number,
  remainingMs: number,
): { deadline: number; publishBy: number } {
  const margin = Math.min(30_000, Math.max(5_000, remainingMs * 0.3));
  return { deadline: now + remainingMs - margin, publishBy: now + remainingMs - 5_000 };
}
/** The shortest interval when POLL_INTERVAL_SECONDS is unset: the schedule's default minute. */
export const LAMBDA_DEFAULT_INTERVAL_SECONDS = 60;
/** How long the credentials read from Secrets Manager are reused before being read again. */
export const SECRET_MAX_AGE_SECONDS = 300;

// POWERTOOLS_SERVICE_NAME (set by the construct) names the metrics' dimension the alarms watch.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME;
const logger = new Logger({ serviceName });
const log: PollerLogger = {
  debug: (message, attributes = {}) => logger.debug(message, attributes),
  info: (message, attributes = {}) => logger.info(message, attributes),
  warn: (message, attributes = {}) => logger.warn(message, attributes),
  error: (message, attributes = {}) => logger.error(message, attributes),
};
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });

let container: { settings: Settings; deps: PollDependencies } | undefined;

function buildOnce(): { settings: Settings; deps: PollDependencies } {
  if (container) return container;
  const settings = loadSettings(process.env, { allowEmbedded: false });
  const { secretArn, authKind, baseUrl } = settings.capillary;
  const loadCredentials = secretArn
    ? async () =>
        parseCapillarySecret(
          await getSecret(secretArn, { maxAge: SECRET_MAX_AGE_SECONDS }),
          authKind,
        )
    : settings.capillary.credentials;
  const store = createCursorStore(
    createDynamoDbClient(settings, settings.table.endpoint as URL | undefined),
    settings,
  );
  const deps = createPollDependencies(settings, {
    logger: log,
    stdout: process.stdout,
    store,
    capillaryBaseUrl: baseUrl as URL,
    credentials: loadCredentials,
  });
  container = { settings, deps };
  return container;
}

export const handler = async (
  _event: unknown,
  context: Context,
): Promise<ReturnType<typeof boundedSummary>> => {
  logger.addContext(context);
  const { settings, deps } = buildOnce();
  const summary = await runSweep(deps, {
    concurrency: settings.poll.concurrency,
    psiMode: settings.poll.psiMode,
    seenCapacity: settings.poll.seenCapacity,
    version: POLLER_VERSION,
    policy: schedulePolicy(settings, LAMBDA_DEFAULT_INTERVAL_SECONDS),
    claimSeconds: settings.poll.claimSeconds,
    maxPolls: settings.poll.sweepMaxPolls,
    requestsPerSecond: settings.capillary.requestsPerSecond,
    ...sweepDeadlines(Date.now(), context.getRemainingTimeInMillis()),
  });
  for (const datum of sweepMetrics(summary)) metrics.addMetric(datum.name, datum.unit, datum.value);
  metrics.publishStoredMetrics();
  const reported = boundedSummary(summary);
  (summary.failures.length > 0 ? log.warn : log.info)('Sweep finished', { summary: reported });
  return reported;
};
