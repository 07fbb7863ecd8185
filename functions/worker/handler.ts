// The worker Lambda, on the work queue (batch size 1): polls the claimed customers of one message.
// A message whose customers could not all be started is reported failed, so SQS brings it back
// (customers another delivery took over, already done, or whose claims expired, are skipped
// then). Built once per container.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describeError } from '../../src/domain/errors.js';
import { pollWork } from '../../src/domain/poll/poll-work.js';
import { boundedSummary } from '../../src/domain/poll/run-sweep.js';
import { deliveryClaimToken, parseWorkMessage } from '../../src/domain/schedule/work-queue.js';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE } from '../../src/observability/metric-names.js';
import { sweepMetrics } from '../../src/observability/sweep-metrics.js';
import { TICK_ONLY_METRICS } from '../../src/observability/tick-metrics.js';
import {
  createWorkerDependencies,
  type WorkerDependencies,
} from '../../src/runtime/create-lambda-dependencies.js';
import {
  domainLogger,
  invocationDeadlines,
  onePollBoundMs,
} from '../../src/runtime/lambda-runtime.js';

// POWERTOOLS_SERVICE_NAME (set by the construct) names the metrics' dimension the alarms watch.
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME;
const logger = new Logger({ serviceName });
const log = domainLogger(logger);
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });

let container: WorkerDependencies | undefined;

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  container ??= createWorkerDependencies(process.env, log);
  const { settings, poll, options, deadlines } = container;
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const messageId = record.messageId;
    let message: ReturnType<typeof parseWorkMessage>;
    try {
      message = parseWorkMessage(record.body);
    } catch (error) {
      // It can never succeed: after 3 receives it rests on the work dead-letter queue.
      log.error('Work message unreadable', { messageId, reason: describeError(error) });
      batchItemFailures.push({ itemIdentifier: messageId });
      continue;
    }
    const { requestsBy, ...times } = invocationDeadlines(
      Date.now(),
      context.getRemainingTimeInMillis(),
      onePollBoundMs(settings.capillary.timeoutMs),
    );
    // Read by every client at each request: nothing outlives the invocation.
    Object.assign(deadlines, { requestsBy, publishBy: times.publishBy });
    // Each customer is taken over under this delivery's own token before it is fetched.
    const delivery = deliveryClaimToken({
      messageId,
      receiveCount: record.attributes.ApproximateReceiveCount,
      invocationId: context.awsRequestId,
    });
    const { summary, unstarted } = await pollWork(message, poll, {
      ...options,
      ...times,
      takeOverAs: delivery,
    });
    for (const datum of sweepMetrics(summary)) {
      if (!TICK_ONLY_METRICS.has(datum.name))
        metrics.addMetric(datum.name, datum.unit, datum.value);
    }
    if (unstarted > 0) batchItemFailures.push({ itemIdentifier: messageId });
    const reported = { messageId, delivery, unstarted, ...boundedSummary(summary) };
    (summary.failures.length > 0 || unstarted > 0 ? log.warn : log.info)('Work finished', {
      summary: reported,
    });
  }
  metrics.publishStoredMetrics();
  return { batchItemFailures };
};
