import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CapillaryEventPollerStack } from '../../infra/capillary-event-poller-stack.js';
import { eventDetailJsonSchema } from '../../src/domain/event-detail-json-schema.js';
import { MetricName } from '../../src/observability/metric-names.js';
import {
  acknowledgements,
  BASE_URL,
  nagFindings,
  onlyResource,
  resourceIn,
  synthPollerStack,
} from './support.js';

// One synthesis of the default stack, shared by every assertion below.
let stack: CapillaryEventPollerStack;
let template: Template;
let ref: (value: unknown) => unknown;
beforeAll(() => {
  ({ stack, template } = synthPollerStack({
    poller: { capillaryBaseUrl: BASE_URL, opsEmails: ['oncall@example.com'] },
  }));
  ref = (value) => stack.resolve(value);
}, 120_000);

const logicalId = (value: unknown): string => {
  const resolved = ref(value) as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = resolved.Ref ?? resolved['Fn::GetAtt']?.[0];
  if (id === undefined) throw new Error(`not a reference: ${JSON.stringify(resolved)}`);
  return id;
};

/** What the index projects besides its keys (the tier: the claim needs it, no read first). */
const DUE_INDEX_PROJECTION = { ProjectionType: 'INCLUDE', NonKeyAttributes: ['idlePolls'] };

const resourceOf = (construct: IConstruct) => resourceIn(template, construct);

describe('default CapillaryEventPoller stack', () => {
  it('creates exactly the resources of the design', () => {
    const counts = {
      'AWS::DynamoDB::Table': 1,
      'AWS::Events::EventBus': 1,
      'AWS::Events::Archive': 1,
      'AWS::Events::Rule': 0,
      'AWS::SecretsManager::Secret': 1,
      'AWS::SQS::Queue': 3,
      'AWS::SQS::QueuePolicy': 3,
      'AWS::KMS::Key': 1,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::Subscription': 1,
      'AWS::Logs::LogGroup': 2,
      'AWS::Lambda::Function': 2,
      'AWS::Lambda::EventInvokeConfig': 1,
      'AWS::Lambda::EventSourceMapping': 1,
      'AWS::IAM::Role': 3,
      'AWS::IAM::Policy': 3,
      'AWS::IAM::ManagedPolicy': 0,
      'AWS::Scheduler::Schedule': 1,
      'AWS::EventSchemas::Registry': 1,
      'AWS::EventSchemas::Schema': 1,
      'AWS::CloudWatch::Alarm': 13,
      'AWS::CloudWatch::Dashboard': 1,
    };
    for (const [type, count] of Object.entries(counts)) {
      expect([type, Object.keys(template.findResources(type)).length]).toEqual([type, count]);
    }
  });

  it('keeps the watchlist in an on-demand, encrypted, PITR table keyed by customerId, with the due index, retained', () => {
    const table = onlyResource(template, 'AWS::DynamoDB::Table');
    expect(table.Properties).toEqual({
      AttributeDefinitions: [
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'dueShard', AttributeType: 'S' },
        { AttributeName: 'nextPollAt', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'due',
          KeySchema: [
            { AttributeName: 'dueShard', KeyType: 'HASH' },
            { AttributeName: 'nextPollAt', KeyType: 'RANGE' },
          ],
          Projection: DUE_INDEX_PROJECTION,
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('creates a custom bus and archives this poller’s events for 30 days', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: Match.anyValue() });
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: ref(stack.poller.eventBus.eventBusArn),
      EventPattern: { source: ['capillary.events'] },
      RetentionDays: 30,
    });
  });

  it('creates the credentials secret empty (a template of the basic shape), retained', () => {
    const secret = onlyResource(template, 'AWS::SecretsManager::Secret');
    expect(secret.Properties.SecretString).toBe('{"username":"","password":""}');
    expect(secret.Properties.GenerateSecretString).toBeUndefined();
    expect(secret.Properties.Description).toContain('{"username":"...","password":"..."}');
    expect(secret.DeletionPolicy).toBe('Retain');
  });

  it('parks unpublishable events on an encrypted, SSL-only queue that keeps them 14 days', () => {
    const queue = resourceOf(stack.poller.deadLetterQueue);
    expect(queue.Properties).toEqual({
      MessageRetentionPeriod: 1_209_600,
      MaximumMessageSize: 1_048_576,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Resource: { 'Fn::GetAtt': [queue.id, 'Arn'] },
          },
        ],
      },
    });
  });

  describe('the functions', () => {
    const newestNode = () =>
      Object.getOwnPropertyNames(lambda.Runtime)
        .filter((name) => /^NODEJS_\d+_X$/.test(name))
        .map((name) => (lambda.Runtime as unknown as Record<string, lambda.Runtime>)[name])
        .filter((runtime): runtime is lambda.Runtime => runtime !== undefined)
        .sort((a, b) => Number(b.name.match(/\d+/)?.[0]) - Number(a.name.match(/\d+/)?.[0]))[0];

    it('runs a scheduler on the newest Node.js of this aws-cdk-lib, one tick at a time', () => {
      const fn = resourceOf(stack.poller.scheduler);
      expect(fn.Properties).toMatchObject({
        Runtime: newestNode()?.name,
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: 50,
        ReservedConcurrentExecutions: 1,
        LoggingConfig: {
          LogGroup: { Ref: logicalId(stack.poller.schedulerLogGroup.logGroupName) },
        },
        Role: ref(stack.poller.scheduler.role?.roleArn),
      });
      expect(newestNode()?.name).toBe('nodejs24.x');
    });

    it('runs workers on ARM64 with no reserved concurrency: the event source bounds them', () => {
      const fn = resourceOf(stack.poller.worker);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 50,
        LoggingConfig: { LogGroup: { Ref: logicalId(stack.poller.workerLogGroup.logGroupName) } },
        Role: ref(stack.poller.worker.role?.roleArn),
      });
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    });

    const shared = () => ({
      TABLE_NAME: ref(stack.poller.table.tableName),
      EVENT_BUS_NAME: ref(stack.poller.eventBus.eventBusName),
      EVENT_SOURCE: 'capillary.events',
      CAPILLARY_BASE_URL: BASE_URL,
      CAPILLARY_AUTH: 'basic',
      CAPILLARY_SECRET_ARN: ref(stack.poller.secret.secretArn),
      CAPILLARY_RPS: '10',
      POLL_INTERVAL_SECONDS: '60',
      MAX_POLL_INTERVAL_SECONDS: '3600',
      CLAIM_SECONDS: '120',
      // No POLL_CONCURRENCY: in-flight polls are sized from CAPILLARY_RPS and the latency.
      SEEN_CAPACITY: '200',
      PSI_MODE: 'mask',
      LOG_LEVEL: 'INFO',
      POWERTOOLS_SERVICE_NAME: 'capillary-event-poller',
      POWERTOOLS_METRICS_NAMESPACE: 'CapillaryEventPoller',
      NODE_OPTIONS: '--enable-source-maps',
    });
    const variables = (construct: IConstruct) =>
      (resourceOf(construct).Properties.Environment as { Variables: unknown }).Variables;

    it('gives the scheduler its settings and the work queue, no credential among them', () => {
      expect(variables(stack.poller.scheduler)).toEqual({
        ...shared(),
        WORK_QUEUE_URL: ref(stack.poller.workQueue.queueUrl),
      });
    });

    it('gives the workers their settings and the dead-letter queue, no credential among them', () => {
      expect(variables(stack.poller.worker)).toEqual({
        ...shared(),
        DLQ_URL: ref(stack.poller.deadLetterQueue.queueUrl),
        DLQ_MAX_MESSAGE_BYTES: '1048576',
      });
    });

    it('never retries a failed or stale scheduler tick (the next tick covers it)', () => {
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(stack.poller.scheduler.functionName) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });

    it('logs each function to its own log group, kept 30 days', () => {
      for (const group of [stack.poller.schedulerLogGroup, stack.poller.workerLogGroup]) {
        expect(resourceOf(group).Properties).toEqual({ RetentionInDays: 30 });
      }
    });
  });

  describe('fan-out', () => {
    it('queues claimed customers on an encrypted, SSL-only work queue whose messages outlive the worker timeout', () => {
      const queue = resourceOf(stack.poller.workQueue);
      expect(queue.Properties).toEqual({
        SqsManagedSseEnabled: true,
        // Worker timeout (50 s) plus 30 s: a message comes back only once its worker is gone.
        VisibilityTimeout: 80,
        MessageRetentionPeriod: 3600,
        RedrivePolicy: {
          deadLetterTargetArn: ref(stack.poller.workDeadLetterQueue.queueArn),
          maxReceiveCount: 3,
        },
      });
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThan(
        resourceOf(stack.poller.worker).Properties.Timeout as number,
      );
    });

    it('parks work that failed 3 receives on an encrypted, SSL-only work dead-letter queue', () => {
      expect(resourceOf(stack.poller.workDeadLetterQueue).Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      for (const queue of [stack.poller.workQueue, stack.poller.workDeadLetterQueue]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(queue.queueUrl)],
          PolicyDocument: {
            Statement: [
              {
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
                Effect: 'Deny',
                Principal: { AWS: '*' },
                Resource: ref(queue.queueArn),
              },
            ],
          },
        });
      }
    });

    it('drains the work queue with at most 4 workers, one message each, reporting failed messages alone', () => {
      expect(onlyResource(template, 'AWS::Lambda::EventSourceMapping').Properties).toEqual({
        EventSourceArn: ref(stack.poller.workQueue.queueArn),
        FunctionName: { Ref: logicalId(stack.poller.worker.functionName) },
        BatchSize: 1,
        ScalingConfig: { MaximumConcurrency: 4 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });
  });

  describe('least privilege', () => {
    const policyOf = (role: iam.IRole | undefined) => {
      const found = Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: logicalId(role?.roleName) }] },
        }),
      ) as { Properties: { PolicyDocument: unknown } }[];
      expect(found).toHaveLength(1);
      return found[0]?.Properties.PolicyDocument;
    };

    it('lets the scheduler query the due index, claim items, send to the work queue and write its logs, nothing else', () => {
      const poller = stack.poller;
      expect(policyOf(poller.scheduler.role)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: ref(poller.schedulerLogGroup.logGroupArn),
          },
          {
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: { 'Fn::Join': ['', [ref(poller.table.tableArn), '/index/due']] },
          },
          { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: ref(poller.table.tableArn) },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ref(poller.workQueue.queueArn) },
        ],
      });
    });

    it('lets a worker consume the work queue, put events on its bus, use its table items, read its secret, park on the dead-letter queue, write its logs, nothing else', () => {
      const poller = stack.poller;
      expect(policyOf(poller.worker.role)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: ref(poller.workerLogGroup.logGroupArn),
          },
          {
            Effect: 'Allow',
            Action: [
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:GetQueueAttributes',
              'sqs:GetQueueUrl',
              'sqs:ReceiveMessage',
            ],
            Resource: ref(poller.workQueue.queueArn),
          },
          {
            Effect: 'Allow',
            Action: 'events:PutEvents',
            Resource: ref(poller.eventBus.eventBusArn),
          },
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:DeleteItem',
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:UpdateItem',
            ],
            Resource: ref(poller.table.tableArn),
          },
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: ref(poller.secret.secretArn),
          },
          {
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: ref(poller.deadLetterQueue.queueArn),
          },
        ],
      });
    });

    it('gives the function roles no managed policy and only Lambda as their principal', () => {
      for (const fn of [stack.poller.scheduler, stack.poller.worker]) {
        const role = resourceOf(fn.role as iam.Role);
        expect(role.Properties).toEqual({
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Action: 'sts:AssumeRole',
                Effect: 'Allow',
                Principal: { Service: 'lambda.amazonaws.com' },
              },
            ],
          },
          Description: expect.stringMatching(/^capillary-event-poller (scheduler|worker): /),
        });
      }
    });

    it('lets only EventBridge Scheduler of this account invoke only the scheduler', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
      });
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: ref(stack.poller.scheduler.functionArn),
            },
          ],
        },
      });
    });

    it('has no wildcard resource in any IAM policy', () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) =>
          (policy as { Properties: { PolicyDocument: { Statement: { Resource: unknown }[] } } })
            .Properties.PolicyDocument.Statement,
      );
      expect(statements.length).toBe(11);
      for (const statement of statements)
        expect(JSON.stringify(statement.Resource)).not.toMatch(/\*/);
    });
  });

  it('starts a scheduler tick every minute with EventBridge Scheduler, without retries', () => {
    expect(onlyResource(template, 'AWS::Scheduler::Schedule').Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: ref(stack.poller.scheduler.functionArn),
        RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/ScheduleRole/), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      },
    });
  });

  it('registers the detail JSON Schema (draft-04) generated from the zod schema', () => {
    const schema = onlyResource(template, 'AWS::EventSchemas::Schema');
    expect(schema.Properties).toMatchObject({
      Type: 'JSONSchemaDraft4',
      SchemaName: 'capillary.events@CapillaryEventDetail',
      RegistryName: ref(stack.poller.schemaRegistry?.attrRegistryName),
    });
    const content = JSON.parse(schema.Properties.Content as string);
    expect(content).toEqual(eventDetailJsonSchema());
    expect(content.$schema).toBe('http://json-schema.org/draft-04/schema#');
    const documented = JSON.parse(
      readFileSync(new URL('../../docs/event-detail.schema.json', import.meta.url), 'utf8'),
    );
    expect(content).toEqual(documented);
  });

  describe('operations', () => {
    it('notifies an encrypted, SSL-only ops topic, with CloudWatch allowed to use its key', () => {
      const key = onlyResource(template, 'AWS::KMS::Key');
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect((key.Properties.KeyPolicy as { Statement: unknown[] }).Statement).toContainEqual({
        Sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        // This account's alarms only.
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudwatch:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':alarm:*',
                ],
              ],
            },
          },
        },
      });
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::GetAtt': [key.id, 'Arn'] },
      });
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
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
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
        TopicArn: ref(stack.poller.opsTopic.topicArn),
      });
    });

    const ops = () => [ref(stack.poller.opsTopic.topicArn)];
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
          ...lambdaMetric(stack.poller.scheduler, 'Errors'),
          Statistic: 'Sum',
          ...once,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'scheduler throttles',
        () => ({
          ...lambdaMetric(stack.poller.scheduler, 'Throttles'),
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
          ...lambdaMetric(stack.poller.worker, 'Errors'),
          Statistic: 'Sum',
          ...once,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'worker throttles',
        () => ({
          ...lambdaMetric(stack.poller.worker, 'Throttles'),
          Statistic: 'Sum',
          ...sustained,
          ...atLeast(1),
          ...quiet,
        }),
      ],
      [
        'worker duration near the timeout (90% of 50 s)',
        () => ({
          ...lambdaMetric(stack.poller.worker, 'Duration'),
          Statistic: 'Maximum',
          ...sustained,
          ...atLeast(45_000),
          ...quiet,
        }),
      ],
      [
        'dead-letter queue not empty',
        () => ({ ...queueMetric(stack.poller.deadLetterQueue), ...once, ...atLeast(1), ...quiet }),
      ],
      [
        'work dead-letter queue not empty',
        () => ({
          ...queueMetric(stack.poller.workDeadLetterQueue),
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
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...expected(),
        AlarmDescription: Match.anyValue(),
        AlarmActions: ops(),
        OKActions: ops(),
      });
    });

    it('exposes every alarm, each described', () => {
      expect(Object.keys(stack.poller.alarms).sort()).toEqual([
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
      const dashboard = onlyResource(template, 'AWS::CloudWatch::Dashboard');
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
      for (const alarm of Object.values(stack.poller.alarms)) {
        expect(body).toContain(JSON.stringify(ref(alarm.alarmArn)));
      }
    });
  });

  it('outputs what operators need', () => {
    for (const output of [
      'TableName',
      'EventBusName',
      'EventBusArn',
      'EventSource',
      'SecretArn',
      'DeadLetterQueueUrl',
      'SchedulerFunctionName',
      'WorkerFunctionName',
      'WorkQueueUrl',
      'WorkDeadLetterQueueUrl',
      'OpsTopicArn',
      'DashboardName',
      'SchemaRegistryName',
    ]) {
      template.hasOutput(output, { Value: Match.anyValue() });
    }
    template.hasOutput('TableName', { Value: ref(stack.poller.table.tableName) });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no unacknowledged finding, error or warning', () => {
      expect(nagFindings(stack)).toEqual([]);
    });

    it('acknowledges exactly three findings, each on the one resource it concerns, with its reason', () => {
      expect(acknowledgements(stack)).toEqual([
        {
          path: 'Test/Poller/CapillaryCredentials',
          id: 'AwsSolutions-SMG4',
          reason: expect.stringMatching(/credentials Capillary issues; no rotation function/),
        },
        {
          path: 'Test/Poller/DeadLetterQueue',
          id: 'AwsSolutions-SQS3',
          reason: expect.stringMatching(/This queue is the dead-letter queue/),
        },
        {
          path: 'Test/Poller/WorkDeadLetterQueue',
          id: 'AwsSolutions-SQS3',
          reason: expect.stringMatching(/the work queue's dead-letter queue/),
        },
      ]);
    });
  });
});
