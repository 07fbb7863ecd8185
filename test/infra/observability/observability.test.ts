// The observability room (infra/observability/): the ops topic, the alarms and the dashboard of
// the default stack.
import { Match } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { MetricName } from '../../../src/observability/metric-names.js';
import { SharedPollerStack } from '../shared-stacks.js';
import { ALARMS_OF_THIS_ACCOUNT, onlyResource } from '../support.js';

const defaults = new SharedPollerStack('default');
const { ref, resourceOf } = defaults;

describe('observability of the default stack', () => {
  describe('operations', () => {
    it('notifies an encrypted, SSL-only ops topic, with CloudWatch allowed to use its key', () => {
      const key = onlyResource(defaults.template, 'AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect((key.Properties.KeyPolicy as { Statement: unknown[] }).Statement).toContainEqual({
        Sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        // This account's alarms only.
        Condition: ALARMS_OF_THIS_ACCOUNT,
      });
      defaults.template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [key.id, 'Arn'] },
      });
      defaults.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
      defaults.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
        TopicArn: ref(defaults.poller.opsTopic.topicArn),
      });
    });

    const ops = () => [ref(defaults.poller.opsTopic.topicArn)];
    const custom = (metric: string) => ({
      Namespace: 'CapillaryEventPoller',
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: 'capillary-event-poller' }],
    });
    const lambdaMetric = (fn: lambda.IFunction, metric: string) => ({
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Dimensions: [{ Name: 'FunctionName', Value: ref(fn.functionName) }],
    });
    const queueMetric = (queue: sqs.IQueue) => ({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: ref(queue.queueName) }],
      Statistic: 'Maximum',
    });
    const once = { Period: 300, EvaluationPeriods: 1 };
    const sustained = { Period: 300, EvaluationPeriods: 3, DatapointsToAlarm: 3 };
    const atLeast = (threshold: number) => ({
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    const quiet = { TreatMissingData: 'notBreaching' };
    /** A count (Sum) alarm on one period, or on 3 periods out of 3. */
    const countOnce = (metric: object, threshold: number) => ({
      ...metric,
      Statistic: 'Sum',
      ...once,
      ...atLeast(threshold),
      ...quiet,
    });
    const countSustained = (metric: object) => ({
      ...metric,
      Statistic: 'Sum',
      ...sustained,
      ...atLeast(1),
      ...quiet,
    });
    const maximumSustained = (metric: object, threshold: object) => ({
      ...metric,
      Statistic: 'Maximum',
      ...sustained,
      ...threshold,
      ...quiet,
    });
    const above = (threshold: number) => ({
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const queueNotEmpty = (queue: sqs.IQueue) => ({
      ...queueMetric(queue),
      ...once,
      ...atLeast(1),
      ...quiet,
    });
    const scheduler = (metric: string) => lambdaMetric(defaults.poller.scheduler, metric);
    const worker = (metric: string) => lambdaMetric(defaults.poller.worker, metric);

    it.each([
      ['poll errors', () => countOnce(custom(MetricName.PollErrors), 5)],
      ['scheduler errors', () => countOnce(scheduler('Errors'), 1)],
      ['scheduler throttles', () => countSustained(scheduler('Throttles'))],
      [
        'no completed scheduler run for 10 minutes (missing data breaches)',
        () => ({
          ...custom(MetricName.SweepCompleted),
          Statistic: 'Sum',
          Period: 600,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
        }),
      ],
      ['worker errors', () => countOnce(worker('Errors'), 1)],
      ['worker throttles', () => countSustained(worker('Throttles'))],
      [
        'worker duration near the timeout (90% of 50 s)',
        () => maximumSustained(worker('Duration'), atLeast(45_000)),
      ],
      ['dead-letter queue not empty', () => queueNotEmpty(defaults.poller.deadLetterQueue)],
      [
        'work dead-letter queue not empty',
        () => queueNotEmpty(defaults.poller.workDeadLetterQueue),
      ],
      [
        'lag above 15 minutes for 15 minutes',
        () => maximumSustained(custom(MetricName.LagSeconds), above(900)),
      ],
      [
        'customers overdue for 15 minutes',
        () => maximumSustained(custom(MetricName.CustomersOverdue), above(0)),
      ],
      ['any coverage gap', () => countOnce(custom(MetricName.CoverageGaps), 1)],
      ['any cursor over its byte budget', () => countOnce(custom(MetricName.CursorsOverBudget), 1)],
      ['any unreadable schedule item', () => countOnce(custom(MetricName.CorruptItems), 1)],
    ])('alarms on %s, notifying the ops topic on alarm and on recovery', (_name, expected) => {
      defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...expected(),
        AlarmDescription: Match.anyValue(),
        AlarmActions: ops(),
        OKActions: ops(),
      });
    });

    it('exposes every alarm, each described', () => {
      expect(Object.keys(defaults.poller.alarms).sort()).toEqual([
        'corruptItems',
        'coverageGaps',
        'cursorsOverBudget',
        'customersOverdue',
        'deadLetterQueue',
        'feedStalled',
        'lag',
        'noSchedulerRun',
        'pollErrors',
        'schedulerErrors',
        'schedulerThrottles',
        'workDeadLetterQueue',
        'workerDuration',
        'workerErrors',
        'workerThrottles',
      ]);
    });

    it('raises FeedStalled when the change feed reports no lag, or more than 10 minutes of it, for 10 minutes', () => {
      expect(resourceOf(defaults.poller.alarms.feedStalled as IConstruct).Properties).toMatchObject(
        {
          MetricName: MetricName.FeedLagSeconds,
          Namespace: 'CapillaryEventPoller',
          Statistic: 'Maximum',
          Period: 300,
          Threshold: 600,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 2,
          DatapointsToAlarm: 2,
          TreatMissingData: 'breaching',
        },
      );
    });

    it('draws the poller’s metrics, the work queue and the alarms on a dashboard', () => {
      const dashboard = onlyResource(defaults.template, 'AWS::CloudWatch::Dashboard');
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const metric of [
        MetricName.QuotaUse,
        MetricName.CustomersClaimed,
        MetricName.CustomersPolled,
        MetricName.ClaimsLost,
        MetricName.OldestStalenessSeconds,
        MetricName.CustomersOverdue,
        MetricName.CoverageGaps,
        MetricName.ClaimErrors,
        MetricName.CorruptItems,
        MetricName.CapillaryRequests,
        MetricName.EventsPublished,
        MetricName.PollErrors,
        MetricName.LagSeconds,
        MetricName.SweepCompleted,
        MetricName.EventsParked,
        // The change feed's row.
        MetricName.FeedLagSeconds,
        MetricName.FeedRecordsRead,
        MetricName.FeedHints,
        MetricName.FeedUnmatchedRecords,
        MetricName.FeedSlicesSplit,
        MetricName.FeedLookups,
        MetricName.FeedLookupsResolved,
        MetricName.FeedLookupsNegative,
        MetricName.FeedLookupsFailed,
        MetricName.FeedFailures,
      ]) {
        expect(body).toContain(
          `[\\"CapillaryEventPoller\\",\\"${metric}\\",\\"service\\",\\"capillary-event-poller\\"`,
        );
      }
      expect(body).toContain('ApproximateNumberOfMessagesVisible');
      expect(body).toContain('ApproximateAgeOfOldestMessage');
      // Quota use of all workers together, against the one budget of 10 requests per second.
      expect(body).toContain('100 * requests / (10 * PERIOD(requests))');
      expect(body).toContain('{\\"type\\":\\"alarm\\"');
      for (const alarm of Object.values(defaults.poller.alarms)) {
        expect(body).toContain(JSON.stringify(ref(alarm.alarmArn)));
      }
    });
  });
});
