import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CapillaryEventPollerStack } from '../../infra/capillary-event-poller-stack.js';
import {
  acknowledgements,
  BASE_URL,
  cursorReadWrite,
  nagFindings,
  onlyResource,
  resourceIn,
  synthPollerStack,
} from './support.js';

const BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/shared-bus';
const DOWNSTREAM_BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/downstream';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:capillary-AbCdEf';
const OPS_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:ops';
const VIP_TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:vip-desk';
const HIGH_VALUE_DETAIL = { attributes: { amount: [{ numeric: ['>=', 1000] }] } };

// One synthesis of a stack that brings its own bus, secret, table and ops topic, and uses alerts.
let stack: CapillaryEventPollerStack;
let template: Template;
let ref: (value: unknown) => unknown;
let resourceOf: (construct: IConstruct) => ReturnType<typeof resourceIn>;
beforeAll(() => {
  ({ stack, template } = synthPollerStack(
    {
      poller: (scope) => ({
        capillaryBaseUrl: BASE_URL,
        capillaryAuth: 'oauth',
        capillarySecret: secretsmanager.Secret.fromSecretCompleteArn(scope, 'Secret', SECRET_ARN),
        eventBus: events.EventBus.fromEventBusArn(scope, 'Bus', BUS_ARN),
        table: dynamodb.Table.fromTableAttributes(scope, 'Table', {
          tableName: 'capillary-watchlist',
          globalIndexes: ['due'],
        }),
        opsTopic: sns.Topic.fromTopicArn(scope, 'Ops', OPS_TOPIC_ARN),
        eventSource: 'acme.capillary',
        archiveRetention: Duration.days(90),
        pollInterval: Duration.minutes(5),
        scheduleEnabled: false,
        serviceName: 'poller-eu',
        capillaryEventsPath: '/v2/events/event_data/?userId={customerId}&limit=50',
        requestsPerSecond: 2.5,
        pollConcurrency: 4,
        workers: 16,
        maxPollInterval: Duration.hours(6),
        sweepMaxPolls: 500,
        seenCapacity: 500,
        changeFeedBackstop: Duration.hours(12),
        changeFeedHintShare: 0.3,
        psiMode: 'drop',
        logLevel: 'DEBUG',
        memorySize: 256,
        alarmThresholds: { pollErrors: 20, lag: Duration.minutes(30) },
        dashboard: false,
        schemaRegistry: false,
        alerts: [
          {
            name: 'high-value',
            eventNames: ['Purchase', 'Return'],
            email: ['a@example.com', 'b@example.com'],
            attributes: ['amount', 'date'],
            detail: HIGH_VALUE_DETAIL,
          },
          {
            name: 'vip',
            eventNames: ['TierUpgrade'],
            topic: sns.Topic.fromTopicArn(scope, 'Vip', VIP_TOPIC_ARN),
            enabled: false,
            description: 'VIP desk',
          },
        ],
      }),
    },
    (created) => {
      created.poller.onEvent('ToDownstream', {
        eventNames: ['PointsRedeemed'],
        detail: { customerId: ['42'] },
        target: new targets.EventBus(
          events.EventBus.fromEventBusArn(created, 'Downstream', DOWNSTREAM_BUS_ARN),
        ),
      });
    },
  ));
  ref = (value) => stack.resolve(value);
  resourceOf = (construct) => resourceIn(template, construct);
}, 120_000);

describe('a poller on existing resources, with alerts', () => {
  it('creates no bus, credentials secret, table, ops topic, dashboard or registry of its own', () => {
    // The one secret is the change feed's identifier key, which only this stack's feed uses.
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(stack.poller.identifierKey).toBeDefined();
    for (const type of [
      'AWS::Events::EventBus',
      'AWS::DynamoDB::Table',
      'AWS::CloudWatch::Dashboard',
      'AWS::EventSchemas::Registry',
      'AWS::EventSchemas::Schema',
    ]) {
      template.resourceCountIs(type, 0);
    }
    // Only the high-value alert's topic: the ops and VIP topics exist already.
    template.resourceCountIs('AWS::SNS::Topic', 1);
  });

  it('archives this source’s events on the existing bus for the given retention', () => {
    expect(onlyResource(template, 'AWS::Events::Archive').Properties).toMatchObject({
      SourceArn: BUS_ARN,
      EventPattern: { source: ['acme.capillary'] },
      RetentionDays: 90,
    });
  });

  const variables = (construct: IConstruct) =>
    (resourceOf(construct).Properties.Environment as { Variables: unknown }).Variables;
  const shared = {
    TABLE_NAME: 'capillary-watchlist',
    EVENT_BUS_NAME: 'shared-bus',
    EVENT_SOURCE: 'acme.capillary',
    CAPILLARY_BASE_URL: BASE_URL,
    CAPILLARY_AUTH: 'oauth',
    CAPILLARY_SECRET_ARN: SECRET_ARN,
    CAPILLARY_EVENTS_PATH: '/v2/events/event_data/?userId={customerId}&limit=50',
    CAPILLARY_RPS: '2.5',
    POLL_INTERVAL_SECONDS: '300',
    MAX_POLL_INTERVAL_SECONDS: '21600',
    // The worker timeout (290 s) plus a minute.
    CLAIM_SECONDS: '350',
    POLL_CONCURRENCY: '4',
    SEEN_CAPACITY: '500',
    CHANGE_FEED_BACKSTOP_SECONDS: '43200',
    CHANGE_FEED_HINT_MAX_SHARE: '0.3',
    PSI_MODE: 'drop',
    LOG_LEVEL: 'DEBUG',
    POWERTOOLS_SERVICE_NAME: 'poller-eu',
    POWERTOOLS_METRICS_NAMESPACE: 'CapillaryEventPoller',
    NODE_OPTIONS: '--enable-source-maps',
  };

  it('passes every setting to the workers', () => {
    expect(resourceOf(stack.poller.worker).Properties).toMatchObject({
      MemorySize: 256,
      Timeout: 290,
    });
    expect(variables(stack.poller.worker)).toEqual({
      ...shared,
      DLQ_URL: ref(stack.poller.deadLetterQueue.queueUrl),
      DLQ_MAX_MESSAGE_BYTES: '1048576',
    });
  });

  it('passes the tick settings to the scheduler, whose timeout stays short whatever the interval', () => {
    expect(resourceOf(stack.poller.scheduler).Properties).toMatchObject({
      MemorySize: 256,
      Timeout: 120,
      ReservedConcurrentExecutions: 1,
    });
    expect(variables(stack.poller.scheduler)).toEqual({
      ...shared,
      SWEEP_MAX_POLLS: '500',
      WORK_QUEUE_URL: ref(stack.poller.workQueue.queueUrl),
    });
  });

  it('runs up to 16 workers, and keeps a work message hidden until the longer worker timeout has passed', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 16 },
    });
    expect(resourceOf(stack.poller.workQueue).Properties.VisibilityTimeout).toBe(320);
  });

  it('scopes the worker’s grants to the existing bus, table and secret', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack.poller.worker.role?.roleName)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: ref(stack.poller.workerLogGroup.logGroupArn),
          },
          Match.objectLike({ Resource: ref(stack.poller.workQueue.queueArn) }),
          { Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS_ARN },
          cursorReadWrite(ref(stack.poller.table.tableArn)),
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: SECRET_ARN,
          },
          {
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: ref(stack.poller.deadLetterQueue.queueArn),
          },
        ],
      },
    });
  });

  it('lets the scheduler query only the existing table’s due index, read, walk and claim its items, and save its walk', () => {
    const tableArn = (suffix: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':dynamodb:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:table/capillary-watchlist${suffix}`,
        ],
      ],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(stack.poller.scheduler.role?.roleName)],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] }),
          { Effect: 'Allow', Action: 'dynamodb:Query', Resource: tableArn('/index/due') },
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
            Resource: tableArn(''),
          },
          {
            Effect: 'Allow',
            Action: 'dynamodb:PutItem',
            Resource: tableArn(''),
            Condition: {
              'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['walk#backstop'] },
            },
          },
          {
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: ref(stack.poller.workQueue.queueArn),
          },
        ],
      },
    });
  });

  it('schedules a disabled tick every 5 minutes and sizes the alarms to it', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'DISABLED',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      Threshold: 261_000,
      AlarmActions: [OPS_TOPIC_ARN],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SweepCompleted',
      Dimensions: [{ Name: 'service', Value: 'poller-eu' }],
      Period: 900,
      AlarmActions: [OPS_TOPIC_ARN],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'PollErrors',
      Threshold: 20,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'LagSeconds',
      Threshold: 1800,
    });
  });

  describe('alert rules', () => {
    const rule = (description: string) =>
      Object.values(
        template.findResources('AWS::Events::Rule', { Properties: { Description: description } }),
      ).map((found) => (found as { Properties: Record<string, unknown> }).Properties);

    it('matches the source, the event names and the detail filter, and sends a readable message', () => {
      const topic = stack.poller.alertTopics['high-value'];
      expect(rule('Alert high-value: Purchase, Return')).toEqual([
        {
          Description: 'Alert high-value: Purchase, Return',
          EventBusName: 'shared-bus',
          State: 'ENABLED',
          EventPattern: {
            source: ['acme.capillary'],
            'detail-type': ['Purchase', 'Return'],
            detail: HIGH_VALUE_DETAIL,
            'replay-name': [{ exists: false }],
          },
          Targets: [
            {
              Id: 'Target0',
              Arn: ref(topic?.topicArn),
              RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
              DeadLetterConfig: {
                Arn: ref(stack.poller.deliveries.deliveries[0]?.deadLetterQueue?.queueArn),
              },
              InputTransformer: {
                InputPathsMap: {
                  eventName: '$.detail-type',
                  customerId: '$.detail.customerId',
                  orgId: '$.detail.orgId',
                  date: '$.detail.date',
                  eventKey: '$.detail.poller.eventKey',
                  a0: '$.detail.attributes.amount',
                  a1: '$.detail.attributes.date',
                },
                InputTemplate: [
                  '"Capillary alert high-value: <eventName>"',
                  '"Customer: <customerId> (org <orgId>)"',
                  '"When: <date>"',
                  '"Attributes: amount=<a0>, date=<a1>"',
                  '"Event key: <eventKey>"',
                ].join('\n'),
              },
            },
          ],
        },
      ]);
    });

    it('creates the alert’s topic encrypted with the construct key, lets EventBridge publish, subscribes the emails', () => {
      const topic = stack.poller.alertTopics['high-value'];
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: ref(stack.poller.topicKey.keyArn),
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [ref(topic?.topicArn)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: Match.anyValue(),
              Effect: 'Allow',
              Action: 'sns:Publish',
              Principal: { Service: 'events.amazonaws.com' },
              Resource: ref(topic?.topicArn),
              // For the alert's own rule only.
              Condition: {
                ArnEquals: { 'aws:SourceArn': ref(stack.poller.alertRules['high-value']?.ruleArn) },
              },
            },
          ]),
        },
      });
      for (const email of ['a@example.com', 'b@example.com']) {
        template.hasResourceProperties('AWS::SNS::Subscription', {
          Protocol: 'email',
          Endpoint: email,
          TopicArn: ref(topic?.topicArn),
        });
      }
      template.resourceCountIs('AWS::SNS::Subscription', 2);
      const keyPolicy = onlyResource(template, 'AWS::KMS::Key').Properties.KeyPolicy as {
        Statement: unknown[];
      };
      expect(keyPolicy.Statement).toContainEqual({
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      });
    });

    it('can notify an existing topic and start disabled', () => {
      expect(rule('VIP desk')).toEqual([
        expect.objectContaining({
          State: 'DISABLED',
          EventPattern: {
            source: ['acme.capillary'],
            'detail-type': ['TierUpgrade'],
            'replay-name': [{ exists: false }],
          },
          Targets: [expect.objectContaining({ Id: 'Target0', Arn: VIP_TOPIC_ARN })],
        }),
      ]);
    });

    it('routes events to any EventBridge target with onEvent', () => {
      expect(rule('Capillary events PointsRedeemed')).toEqual([
        expect.objectContaining({
          EventBusName: 'shared-bus',
          EventPattern: {
            source: ['acme.capillary'],
            'detail-type': ['PointsRedeemed'],
            detail: { customerId: ['42'] },
            'replay-name': [{ exists: false }],
          },
          Targets: [
            // A bus target takes no retry policy (EventBridge retries it itself), only the DLQ.
            expect.objectContaining({
              Arn: DOWNSTREAM_BUS_ARN,
              DeadLetterConfig: { Arn: expect.anything() },
            }),
          ],
        }),
      ]);
    });

    it('refuses a second alert with the same name', () => {
      expect(() =>
        stack.poller.addAlert({ name: 'vip', eventNames: ['X'], email: ['c@example.com'] }),
      ).toThrow(
        'Invalid CapillaryEventPoller props:\n- alerts[0].name "vip" is used by another alert',
      );
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no unacknowledged finding, error or warning', () => {
      expect(nagFindings(stack)).toEqual([]);
    });

    it('acknowledges only the dead-letter queues’ findings and the identifier key’s (the credentials secret is not ours)', () => {
      expect(acknowledgements(stack).map(({ path, id }) => [path, id])).toEqual([
        ['Test/Poller/DeadLetterQueue', 'AwsSolutions-SQS3'],
        ['Test/Poller/WorkDeadLetterQueue', 'AwsSolutions-SQS3'],
        ['Test/Poller/IdentifierKey', 'AwsSolutions-SMG4'],
        // Each rule target's own dead-letter queue (infra/delivery-target.ts).
        ['Test/Poller/Alert-high-value/Rule/DeadLetterQueue', 'AwsSolutions-SQS3'],
        ['Test/Poller/Alert-vip/Rule/DeadLetterQueue', 'AwsSolutions-SQS3'],
        ['Test/Poller/ToDownstream/DeadLetterQueue', 'AwsSolutions-SQS3'],
      ]);
    });
  });
});
