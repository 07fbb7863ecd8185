// The scheduled Lambda (one tick at a time): claims the due customers, up to the tick's quota,
// and queues them for the workers. Dependencies are built once per container; each invocation's
// deadlines and options come from them (src/runtime/create-lambda-dependencies.ts).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import {
  boundedTickSummary,
  runTick,
  type TickSummary,
} from '../../src/domain/schedule/schedule-tick.js';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE } from '../../src/observability/metric-names.js';
import { tickMetrics } from '../../src/observability/tick-metrics.js';
import {
  createSchedulerDependencies,
  type SchedulerDependencies,
} from '../../src/runtime/create-lambda-dependencies.js';
import { domainLogger } from '../../src/runtime/lambda-runtime.js';

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
  const summary = await runTick(container.tick, await container.beginTick(context));
  for (const datum of tickMetrics(summary)) metrics.addMetric(datum.name, datum.unit, datum.value);
  metrics.publishStoredMetrics();
  // One log event stays small whatever the outage: the list is cut, the count is whole.
  const reported = boundedTickSummary(summary);
  (summary.notQueued.length > 0 ? log.warn : log.info)('Tick finished', { summary: reported });
  return reported;
};
