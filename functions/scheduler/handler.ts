// The scheduled Lambda (one tick at a time): claims the due customers, up to the tick's quota,
// and queues them for the workers. Dependencies are built once per container.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { schedulePolicy } from '../../src/config/settings.js';
import { currentBackstop } from '../../src/domain/feed/feed-backstop.js';
import { laneLimit } from '../../src/domain/feed/priority-lane.js';
import {
  boundedTickSummary,
  runTick,
  type TickSummary,
  tickLimit,
} from '../../src/domain/schedule/schedule-tick.js';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE } from '../../src/observability/metric-names.js';
import { tickMetrics } from '../../src/observability/tick-metrics.js';
import {
  createSchedulerDependencies,
  type SchedulerDependencies,
} from '../../src/runtime/create-lambda-dependencies.js';
import {
  domainLogger,
  LAMBDA_DEFAULT_INTERVAL_SECONDS,
  tickDeadline,
  tickRequestsBy,
} from '../../src/runtime/lambda-runtime.js';

// POWERTOOLS_SERVICE_NAME (set by the construct) names the metrics' dimension the alarms watch.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME;
const logger = new Logger({ serviceName });
const log = domainLogger(logger);
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });

let container: SchedulerDependencies | undefined;

export const handler = async (
  _event: unknown,
  context: Context,
): Promise<TickSummary & { notQueuedCount: number }> => {
  logger.addContext(context);
  container ??= createSchedulerDependencies(process.env, log);
  const { settings, tick, deadlines, feedCursors } = container;
  const now = Date.now();
  const remainingMs = context.getRemainingTimeInMillis();
  deadlines.requestsBy = tickRequestsBy(now, remainingMs);
  const policy = schedulePolicy(settings, LAMBDA_DEFAULT_INTERVAL_SECONDS);
  const limit = tickLimit(
    settings.capillary.requestsPerSecond,
    policy.minIntervalMs / 1000,
    settings.poll.sweepMaxPolls,
  );
  const summary = await runTick(tick, {
    owner: `tick-${context.awsRequestId}`,
    now,
    limit,
    laneLimit: laneLimit(limit, settings.changeFeed.hintShare),
    backstop: await currentBackstop(
      feedCursors,
      now,
      {
        backstopMs: settings.changeFeed.backstopMs,
        feedIntervalMs: settings.changeFeed.feed.intervalMs,
      },
      log,
    ),
    policy,
    claimMs: settings.poll.claimSeconds * 1000,
    deadline: tickDeadline(now, remainingMs),
  });
  for (const datum of tickMetrics(summary)) metrics.addMetric(datum.name, datum.unit, datum.value);
  metrics.publishStoredMetrics();
  // One log event stays small whatever the outage: the list is cut, the count is whole.
  const reported = boundedTickSummary(summary);
  (summary.notQueued.length > 0 ? log.warn : log.info)('Tick finished', { summary: reported });
  return reported;
};
