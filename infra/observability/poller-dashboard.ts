import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { MetricName } from '../../src/observability/metric-names.js';

/** What the dashboard draws. */
export interface PollerDashboardProps {
  readonly eventSource: string;
  readonly serviceName: string;
  readonly workers: number;
  /** The Capillary budget every poller on the table shares (NaN when only known at deploy). */
  readonly requestsPerSecond: number;
  /** One of the poller's metrics (see `CapillaryEventPoller.metric`). */
  readonly metric: (name: MetricName, props?: cloudwatch.MetricOptions) => cloudwatch.Metric;
  readonly scheduler: lambda.IFunction;
  readonly worker: lambda.IFunction;
  readonly workQueue: sqs.IQueue;
  readonly workDeadLetterQueue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly alarms: Record<string, cloudwatch.Alarm>;
  /** The change feed function: its row is drawn when it runs. */
  readonly changeFeed?: lambda.IFunction | undefined;
}

/** The poller's dashboard. `scope` is the poller itself, so the dashboard keeps its logical ID. */
export function createPollerDashboard(
  scope: Construct,
  props: PollerDashboardProps,
): cloudwatch.Dashboard {
  const period = Duration.minutes(1);
  const m = (name: MetricName, label: string, options: cloudwatch.MetricOptions = {}) =>
    props.metric(name, { period, label, ...options });
  const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
    new cloudwatch.GraphWidget({ title, left, width, height: 6 });
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.hours(6),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown: `# Capillary event poller\nSource \`${props.eventSource}\`, service \`${props.serviceName}\`, ${props.workers} workers. What each alarm means: docs/deploying.md.`,
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    graph('Capillary quota use (%)', [
      // Every poller on the table against the one budget: requests over RPS × the period
      // (a budget known only at deploy time leaves the workers' own figures).
      ...(Number.isFinite(props.requestsPerSecond)
        ? [
            new cloudwatch.MathExpression({
              expression: `100 * requests / (${props.requestsPerSecond} * PERIOD(requests))`,
              usingMetrics: { requests: m(MetricName.CapillaryRequests, 'Requests') },
              label: 'All workers',
              period,
            }),
          ]
        : []),
      m(MetricName.QuotaUse, 'Reported'),
    ]),
    graph('Customers claimed and polled', [
      m(MetricName.CustomersClaimed, 'Claimed'),
      m(MetricName.CustomersPolled, 'Polled'),
      m(MetricName.ClaimsLost, 'Claims lost'),
      m(MetricName.ClaimErrors, 'Claim errors'),
      m(MetricName.CorruptItems, 'Corrupt schedule items'),
    ]),
    graph('Staleness (seconds)', [
      m(MetricName.OldestStalenessSeconds, 'Oldest staleness'),
      m(MetricName.LagSeconds, 'Max lag'),
    ]),
  );
  dashboard.addWidgets(
    graph('Customers overdue', [
      m(MetricName.CustomersOverdue, 'Overdue', { statistic: cloudwatch.Stats.MAXIMUM }),
    ]),
    graph('Coverage gaps and cursors over budget', [
      m(MetricName.CoverageGaps, 'Coverage gaps'),
      m(MetricName.CursorsOverBudget, 'Cursors over budget'),
    ]),
    graph('Events published', [
      m(MetricName.EventsPublished, 'Published'),
      m(MetricName.EventsParked, 'Parked on the DLQ'),
      m(MetricName.EventsUnpublished, 'Unpublished (retried)'),
    ]),
  );
  dashboard.addWidgets(
    graph('Work queue', [
      props.workQueue.metricApproximateNumberOfMessagesVisible({ period, label: 'Messages' }),
      props.workDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period,
        label: 'Dead-lettered',
      }),
    ]),
    graph('Work queue age (seconds)', [
      props.workQueue.metricApproximateAgeOfOldestMessage({ period, label: 'Oldest message' }),
    ]),
    graph('Poll errors', [
      m(MetricName.PollErrors, 'Poll errors'),
      m(MetricName.CapillaryRequests, 'Capillary requests'),
    ]),
  );
  dashboard.addWidgets(
    graph('Scheduler', [
      m(MetricName.SweepCompleted, 'Ticks completed'),
      props.scheduler.metricErrors({ period, label: 'Errors' }),
      props.scheduler.metricThrottles({ period, label: 'Throttles' }),
    ]),
    graph('Workers', [
      props.worker.metricInvocations({ period, label: 'Invocations' }),
      props.worker.metricErrors({ period, label: 'Errors' }),
      props.worker.metricThrottles({ period, label: 'Throttles' }),
    ]),
    graph('Worker duration (ms)', [
      props.worker.metricDuration({
        period,
        statistic: cloudwatch.Stats.MAXIMUM,
        label: 'Max invocation',
      }),
    ]),
  );
  if (props.changeFeed) {
    dashboard.addWidgets(
      graph('Change feed lag (seconds)', [
        m(MetricName.FeedLagSeconds, 'Lag', { statistic: cloudwatch.Stats.MAXIMUM }),
      ]),
      graph('Change feed records and hints', [
        m(MetricName.FeedRecordsRead, 'Records read'),
        m(MetricName.FeedHints, 'Hints (priority lane)'),
        m(MetricName.FeedUnmatchedRecords, 'Unmatched'),
        m(MetricName.FeedSlicesSplit, 'Slices split'),
      ]),
      // Only with CHANGE_FEED_LOOKUP=on do these have data.
      graph('Change feed customer lookups', [
        m(MetricName.FeedLookups, 'Lookups'),
        m(MetricName.FeedLookupsResolved, 'Watched customer found'),
        m(MetricName.FeedLookupsNegative, 'Nobody watched (remembered)'),
        m(MetricName.FeedLookupsFailed, 'Failed'),
      ]),
      graph('Change feed failures', [
        m(MetricName.FeedFailures, 'Failed reads'),
        props.changeFeed.metricErrors({ period, label: 'Errors' }),
        props.changeFeed.metricThrottles({ period, label: 'Throttles' }),
      ]),
    );
  }
  dashboard.addWidgets(
    graph(
      'Dead-letter queue',
      [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          label: 'Messages',
        }),
      ],
      12,
    ),
    new cloudwatch.AlarmStatusWidget({
      title: 'Alarms',
      alarms: Object.values(props.alarms),
      width: 12,
      height: 6,
    }),
  );
  return dashboard;
}
