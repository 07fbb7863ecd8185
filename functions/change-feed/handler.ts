// The change feed Lambda (reserved concurrency 1: the only writer of the feed cursor), started
// every minute: reads the org-wide event log once per CHANGE_FEED_INTERVAL_SECONDS until shortly
// before its deadline, making hinted customers due now for the scheduler. Built once per container.
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { FeedRun } from '../../src/domain/feed/change-feed.js';
import { runFeedLoop } from '../../src/domain/feed/run-feed-loop.js';
import { feedMetrics } from '../../src/observability/feed-metrics.js';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE } from '../../src/observability/metric-names.js';
import {
  createFeedDependencies,
  type FeedDependencies,
} from '../../src/runtime/create-lambda-dependencies.js';
import { domainLogger } from '../../src/runtime/lambda-runtime.js';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME;
const logger = new Logger({ serviceName });
const log = domainLogger(logger);
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });

/** Room left after the last read starts: a read's requests and the metrics' flush. */
const READ_MARGIN_MS = 15_000;

let container: Promise<FeedDependencies> | undefined;

export const handler = async (_event: unknown, context: Context): Promise<{ runs: FeedRun[] }> => {
  logger.addContext(context);
  container ??= createFeedDependencies(process.env, log);
  // A failed start (secret unreadable) is tried afresh by the next invocation.
  const { settings, feed, deadlines } = await container.catch((error: unknown) => {
    container = undefined;
    throw error;
  });
  if (feed === undefined) return { runs: [] };
  const end = Date.now() + context.getRemainingTimeInMillis();
  // Every request of this invocation is over before it ends (the cursor write included).
  Object.assign(deadlines, { requestsBy: end - 2_000, publishBy: end - 2_000 });
  const runs = await runFeedLoop(feed, {
    intervalMs: settings.changeFeed.feed.intervalMs,
    deadline: end - READ_MARGIN_MS,
    clock: Date.now,
    sleep: (ms) => sleep(ms),
    onRun: (run) => {
      for (const datum of feedMetrics(run)) {
        metrics.addMetric(datum.name, datum.unit, datum.value);
      }
      metrics.publishStoredMetrics();
      (run.kind === 'read' || run.kind === 'skipped' ? log.info : log.warn)('Feed read', { run });
    },
  });
  return { runs };
};
