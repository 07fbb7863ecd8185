import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { MetricName } from '../../src/observability/metric-names.js';
import type { PollerAlarmThresholds } from '../capillary-event-poller-props.js';
import { ALARM_PERIOD } from './poller-metric.js';

/** What the operational alarms watch. */
export interface PollerAlarmsProps {
  readonly thresholds: PollerAlarmThresholds;
  readonly pollInterval: Duration;
  /** One of the poller's metrics (see `CapillaryEventPoller.metric`). */
  readonly metric: (name: MetricName, props?: cloudwatch.MetricOptions) => cloudwatch.Metric;
  readonly scheduler: lambda.IFunction;
  readonly worker: lambda.IFunction;
  readonly workerTimeout: Duration;
  readonly deadLetterQueue: sqs.IQueue;
  readonly workDeadLetterQueue: sqs.IQueue;
  /** Whether the change feed runs: then `FeedStalled` watches it. */
  readonly changeFeed: boolean;
}

/**
 * The operational alarms, by name (their actions are added by the poller). `scope` is the poller
 * itself, so each alarm keeps its logical ID.
 */
export function createPollerAlarms(
  scope: Construct,
  props: PollerAlarmsProps,
): Record<string, cloudwatch.Alarm> {
  const { thresholds, pollInterval, metric } = props;
  const noSweepFor =
    thresholds.noSweepFor ??
    Duration.minutes(Math.max(10, 3 * pollInterval.toMinutes({ integral: false })));
  const lag = thresholds.lag ?? Duration.minutes(15);
  const percent = thresholds.durationPercentOfTimeout ?? 90;
  const sustained = { evaluationPeriods: 3, datapointsToAlarm: 3 };
  const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;
  const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
  const sum = { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM };
  const queueDepth = (queue: sqs.IQueue) =>
    queue.metricApproximateNumberOfMessagesVisible({
      period: ALARM_PERIOD,
      statistic: cloudwatch.Stats.MAXIMUM,
    });

  return {
    pollErrors: metric(MetricName.PollErrors).createAlarm(scope, 'PollErrorsAlarm', {
      alarmDescription:
        'Capillary polls are failing (network, HTTP status, credentials, malformed responses). See the worker logs for the customer ids and reasons.',
      threshold: thresholds.pollErrors ?? 5,
      comparisonOperator: atLeast,
      evaluationPeriods: 1,
      treatMissingData: notBreaching,
    }),
    schedulerErrors: props.scheduler.metricErrors(sum).createAlarm(scope, 'SchedulerErrorsAlarm', {
      alarmDescription:
        'Scheduler ticks are failing as a whole (configuration, table or work queue unreachable). No customer is claimed or polled until this is fixed.',
      threshold: 1,
      comparisonOperator: atLeast,
      evaluationPeriods: 1,
      treatMissingData: notBreaching,
    }),
    schedulerThrottles: props.scheduler
      .metricThrottles(sum)
      .createAlarm(scope, 'SchedulerThrottlesAlarm', {
        alarmDescription:
          'Scheduler ticks keep finding the previous one still running (or the account out of concurrency) and are skipped.',
        threshold: 1,
        comparisonOperator: atLeast,
        ...sustained,
        treatMissingData: notBreaching,
      }),
    noSchedulerRun: metric(MetricName.SweepCompleted, { period: noSweepFor }).createAlarm(
      scope,
      'NoSchedulerRunAlarm',
      {
        alarmDescription: `No scheduler tick has completed for ${noSweepFor.toHumanString()}: no customer is being claimed, polled or published.`,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data is the symptom itself.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    ),
    workerErrors: props.worker.metricErrors(sum).createAlarm(scope, 'WorkerErrorsAlarm', {
      alarmDescription:
        'Worker invocations are failing as a whole (configuration, secret, table or bus unreachable, timeouts). Their messages come back and are parked on the work dead-letter queue after 3 receives.',
      threshold: 1,
      comparisonOperator: atLeast,
      evaluationPeriods: 1,
      treatMissingData: notBreaching,
    }),
    workerThrottles: props.worker.metricThrottles(sum).createAlarm(scope, 'WorkerThrottlesAlarm', {
      alarmDescription:
        'Workers are throttled: the account has fewer free concurrent executions than the workers setting. Work waits in the queue and claims expire.',
      threshold: 1,
      comparisonOperator: atLeast,
      ...sustained,
      treatMissingData: notBreaching,
    }),
    workerDuration: props.worker
      .metricDuration({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.MAXIMUM })
      .createAlarm(scope, 'WorkerDurationAlarm', {
        alarmDescription: `Workers keep running close to their ${props.workerTimeout.toHumanString()} timeout: a message's customers no longer fit one invocation, and the rest wait for their claims to expire.`,
        threshold: Math.round((props.workerTimeout.toMilliseconds() * percent) / 100),
        comparisonOperator: atLeast,
        ...sustained,
        treatMissingData: notBreaching,
      }),
    deadLetterQueue: queueDepth(props.deadLetterQueue).createAlarm(scope, 'DeadLetterQueueAlarm', {
      alarmDescription:
        'Events were parked on the dead-letter queue: EventBridge rejected them and they will not be published on their own.',
      threshold: 1,
      comparisonOperator: atLeast,
      evaluationPeriods: 1,
      treatMissingData: notBreaching,
    }),
    workDeadLetterQueue: queueDepth(props.workDeadLetterQueue).createAlarm(
      scope,
      'WorkDeadLetterQueueAlarm',
      {
        alarmDescription:
          'Work messages failed 3 times and were parked on the work dead-letter queue: workers keep failing on them. Their customers are claimed again by later ticks; read the worker logs.',
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    ),
    lag: metric(MetricName.LagSeconds).createAlarm(scope, 'LagAlarm', {
      alarmDescription: `Events reach the bus more than ${lag.toHumanString()} after they happened, for 15 minutes: the poller is falling behind.`,
      threshold: lag.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      ...sustained,
      treatMissingData: notBreaching,
    }),
    customersOverdue: metric(MetricName.CustomersOverdue, {
      statistic: cloudwatch.Stats.MAXIMUM,
    }).createAlarm(scope, 'CustomersOverdueAlarm', {
      alarmDescription:
        'Watched customers have gone unpolled for longer than the longest poll interval, for 15 minutes: the quota (requestsPerSecond) or the workers cannot keep up with the watchlist, and their events may scroll out of Capillary unseen.',
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      ...sustained,
      treatMissingData: notBreaching,
    }),
    coverageGaps: metric(MetricName.CoverageGaps).createAlarm(scope, 'CoverageGapsAlarm', {
      alarmDescription:
        "A customer's window of events was entirely newer than what the poller had seen: events may have scrolled out of Capillary's window unpublished. The worker logs name the customers.",
      threshold: 1,
      comparisonOperator: atLeast,
      evaluationPeriods: 1,
      treatMissingData: notBreaching,
    }),
    cursorsOverBudget: metric(MetricName.CursorsOverBudget).createAlarm(
      scope,
      'CursorsOverBudgetAlarm',
      {
        alarmDescription:
          "A customer's window of events no longer fits the cursor item's byte budget: its oldest window ids were dropped, so a late event dated below them is logged, not published. The worker logs name the customer and the item size.",
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      },
    ),
    corruptItems: metric(MetricName.CorruptItems).createAlarm(scope, 'CorruptItemsAlarm', {
      alarmDescription:
        "A customer's schedule item could not be read (a field missing or of the wrong type, a hand edit?): it was rebuilt from the cursor item and the customer is still polled. The scheduler logs name the customer and the fields.",
      threshold: 1,
      comparisonOperator: atLeast,
      evaluationPeriods: 1,
      treatMissingData: notBreaching,
    }),
    ...(props.changeFeed ? { feedStalled: feedStalledAlarm(scope, metric) } : {}),
  };
}

/** The feed reads every 30 s by default: ten minutes behind is far from a late record's lag. */
const FEED_STALLED_AFTER = Duration.minutes(10);

/**
 * The change feed has not read the log up to the last ten minutes, for two periods: failing,
 * unavailable (an org without the log: deploy with `changeFeed: false`), or not running. Polling
 * goes on by schedule meanwhile, so events are late, not lost.
 */
function feedStalledAlarm(scope: Construct, metric: PollerAlarmsProps['metric']): cloudwatch.Alarm {
  return metric(MetricName.FeedLagSeconds, { statistic: cloudwatch.Stats.MAXIMUM }).createAlarm(
    scope,
    'FeedStalledAlarm',
    {
      alarmDescription: `The change feed is more than ${FEED_STALLED_AFTER.toHumanString()} behind Capillary's event log, or not reading it (failing, no log for this org, not running), for 10 minutes. Customers are polled by schedule only meanwhile: events of dormant customers are late. See the change feed's logs; an org without the log deploys with changeFeed=false.`,
      threshold: FEED_STALLED_AFTER.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // A feed that reads nothing reports no lag: the missing data is the symptom.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    },
  );
}
