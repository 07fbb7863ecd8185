// The observability room (infra/observability/): the ops topic, the alarms and the dashboard of
// the default stack.
import { Match } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { MetricName } from '../../../src/observability/metric-names.js';
import { ALARMS_OF_THIS_ACCOUNT, DefaultPollerStack, onlyResource } from '../support.js';

const defaults = new DefaultPollerStack();
const { ref } = defaults;

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

    it.each([
      [
        'poll errors',
        () => ({
          ...custom(MetricName.PollErrors),
          Statistic: 'Sum',
          ...once,
          ...atLeast(5),
          ...quiet,
        }),
      ],
      [
        'scheduler errors',
        () => ({
          ...lambdaMetric(defaults.poller.scheduler, 'Errors'),
          Statistic: 'Sum',
          ...once,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'scheduler throttles',
        () => ({
          ...lambdaMetric(defaults.poller.scheduler, 'Throttles'),
          Statistic: 'Sum',
          ...sustained,
          ...atLeast(1),
          ...quiet,
        }),
      ],
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
      [
        'worker errors',
        () => ({
          ...lambdaMetric(defaults.poller.worker, 'Errors'),
          Statistic: 'Sum',
          ...once,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'worker throttles',
        () => ({
          ...lambdaMetric(defaults.poller.worker, 'Throttles'),
          Statistic: 'Sum',
          ...sustained,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'worker duration near the timeout (90% of 50 s)',
        () => ({
          ...lambdaMetric(defaults.poller.worker, 'Duration'),
          Statistic: 'Maximum',
          ...sustained,
          ...atLeast(45_000),
          ...quiet,
        }),
      ],
      [
        'dead-letter queue not empty',
        () => ({
          ...queueMetric(defaults.poller.deadLetterQueue),
          ...once,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'work dead-letter queue not empty',
        () => ({
          ...queueMetric(defaults.poller.workDeadLetterQueue),
          ...once,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'lag above 15 minutes for 15 minutes',
        () => ({
          ...custom(MetricName.LagSeconds),
          Statistic: 'Maximum',
          ...sustained,
          Threshold: 900,
          ComparisonOperator: 'GreaterThanThreshold',
          ...quiet,
        }),
      ],
      [
        'customers overdue for 15 minutes',
        () => ({
          ...custom(MetricName.CustomersOverdue),
          Statistic: 'Maximum',
          ...sustained,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          ...quiet,
        }),
      ],
      [
        'any coverage gap',
        () => ({
          ...custom(MetricName.CoverageGaps),
          Statistic: 'Sum',
          ...once,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'any cursor over its byte budget',
        () => ({
          ...custom(MetricName.CursorsOverBudget),
          Statistic: 'Sum',
          ...once,
          ...atLeast(1),
          ...quiet,
        }),
      ],
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
        'coverageGaps',
        'cursorsOverBudget',
        'customersOverdue',
        'deadLetterQueue',
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
        MetricName.CapillaryRequests,
        MetricName.EventsPublished,
        MetricName.PollErrors,
        MetricName.LagSeconds,
        MetricName.SweepCompleted,
        MetricName.EventsParked,
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
