import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CapillaryEventPollerStack } from '../../infra/capillary-event-poller-stack.js';
import { eventDetailJsonSchema } from '../../src/domain/event-detail-json-schema.js';
import { MetricName } from '../../src/observability/metric-names.js';
import {
  acknowledgements,
  BASE_URL,
  nagFindings,
  onlyResource,
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

describe('default CapillaryEventPoller stack', () => {
  it('creates exactly the resources of the design', () => {
    const counts = {
      'AWS::DynamoDB::Table': 1,
      'AWS::Events::EventBus': 1,
      'AWS::Events::Archive': 1,
      'AWS::Events::Rule': 0,
      'AWS::SecretsManager::Secret': 1,
      'AWS::SQS::Queue': 1,
      'AWS::SQS::QueuePolicy': 1,
      'AWS::KMS::Key': 1,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::Subscription': 1,
      'AWS::Logs::LogGroup': 1,
      'AWS::Lambda::Function': 1,
      'AWS::Lambda::EventInvokeConfig': 1,
      'AWS::IAM::Role': 2,
      'AWS::IAM::Policy': 2,
      'AWS::IAM::ManagedPolicy': 0,
      'AWS::Scheduler::Schedule': 1,
      'AWS::EventSchemas::Registry': 1,
      'AWS::EventSchemas::Schema': 1,
      'AWS::CloudWatch::Alarm': 7,
      'AWS::CloudWatch::Dashboard': 1,
    };
    for (const [type, count] of Object.entries(counts)) {
      expect([type, Object.keys(template.findResources(type)).length]).toEqual([type, count]);
    }
  });

  it('keeps the watchlist in an on-demand, encrypted, PITR table keyed by customerId, retained', () => {
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
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['idlePolls'] },
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
    const queue = onlyResource(template, 'AWS::SQS::Queue');
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

  describe('the poller function', () => {
    it('runs the newest Node.js of this aws-cdk-lib on ARM64 with a bounded sweep', () => {
      const newest = Object.getOwnPropertyNames(lambda.Runtime)
        .filter((name) => /^NODEJS_\d+_X$/.test(name))
        .map((name) => (lambda.Runtime as unknown as Record<string, lambda.Runtime>)[name])
        .filter((runtime): runtime is lambda.Runtime => runtime !== undefined)
        .sort((a, b) => Number(b.name.match(/\d+/)?.[0]) - Number(a.name.match(/\d+/)?.[0]))[0];
      const fn = onlyResource(template, 'AWS::Lambda::Function');
      expect(fn.Properties).toMatchObject({
        Runtime: newest?.name,
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 50,
        ReservedConcurrentExecutions: 1,
        LoggingConfig: { LogGroup: { Ref: logicalId(stack.poller.logGroup.logGroupName) } },
        Role: ref(stack.poller.function.role?.roleArn),
      });
      expect(newest?.name).toBe('nodejs24.x');
    });

    it('reads its settings from exactly these environment variables, no credential among them', () => {
      const fn = onlyResource(template, 'AWS::Lambda::Function');
      expect((fn.Properties.Environment as { Variables: unknown }).Variables).toEqual({
        TABLE_NAME: ref(stack.poller.table.tableName),
        EVENT_BUS_NAME: ref(stack.poller.eventBus.eventBusName),
        EVENT_SOURCE: 'capillary.events',
        CAPILLARY_BASE_URL: BASE_URL,
        CAPILLARY_AUTH: 'basic',
        CAPILLARY_SECRET_ARN: ref(stack.poller.secret.secretArn),
        CAPILLARY_RPS: '10',
        POLL_CONCURRENCY: '8',
        SEEN_CAPACITY: '200',
        PSI_MODE: 'mask',
        DLQ_URL: ref(stack.poller.deadLetterQueue.queueUrl),
        DLQ_MAX_MESSAGE_BYTES: '1048576',
        LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: 'capillary-event-poller',
        POWERTOOLS_METRICS_NAMESPACE: 'CapillaryEventPoller',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('never retries a failed or stale asynchronous invocation (the next tick covers it)', () => {
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(stack.poller.function.functionName) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });

    it('logs to an explicit log group kept 30 days', () => {
      expect(onlyResource(template, 'AWS::Logs::LogGroup').Properties).toEqual({
        RetentionInDays: 30,
      });
    });
  });

  describe('least privilege', () => {
    it('lets the function write its logs, put events on its bus, use its table, read its secret, send to its queue, nothing else', () => {
      const poller = stack.poller;
      const [functionPolicy, ...others] = Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: logicalId(poller.function.role?.roleName) }] },
        }),
      ) as { Properties: { PolicyDocument: unknown } }[];
      expect(others).toEqual([]);
      expect(functionPolicy?.Properties.PolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: ref(poller.logGroup.logGroupArn),
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
            Action: 'dynamodb:Query',
            Resource: { 'Fn::Join': ['', [ref(poller.table.tableArn), '/index/due']] },
          },
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: ref(poller.secret.secretArn),
          },
          {
            Effect: 'Allow',
            Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'],
            Resource: ref(poller.deadLetterQueue.queueArn),
          },
        ],
      });
    });

    it('gives the function role no managed policy and only Lambda as its principal', () => {
      const role = template.findResources('AWS::IAM::Role', {
        Properties: { Description: Match.stringLikeRegexp('its bus, table') },
      });
      expect(Object.values(role).map((r) => (r as { Properties: unknown }).Properties)).toEqual([
        {
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
          Description: 'capillary-event-poller: its bus, table, secret, dead-letter queue and logs',
        },
      ]);
    });

    it('lets only EventBridge Scheduler of this account invoke only this function', () => {
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
              Resource: ref(stack.poller.function.functionArn),
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
      expect(statements.length).toBe(7);
      for (const statement of statements)
        expect(JSON.stringify(statement.Resource)).not.toMatch(/\*/);
    });
  });

  it('starts a sweep every minute with EventBridge Scheduler, without retries', () => {
    expect(onlyResource(template, 'AWS::Scheduler::Schedule').Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: ref(stack.poller.function.functionArn),
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
    const lambdaMetric = (metric: string) => ({
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Dimensions: [{ Name: 'FunctionName', Value: ref(stack.poller.function.functionName) }],
    });

    it.each([
      [
        'poll errors',
        () => ({
          ...custom(MetricName.PollErrors),
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 5,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ],
      [
        'Lambda errors',
        () => ({
          ...lambdaMetric('Errors'),
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ],
      [
        'Lambda throttles',
        () => ({
          ...lambdaMetric('Throttles'),
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ],
      [
        'duration near the timeout (90% of 50 s)',
        () => ({
          ...lambdaMetric('Duration'),
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          Threshold: 45_000,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ],
      [
        'dead-letter queue not empty',
        () => ({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [
            {
              Name: 'QueueName',
              Value: ref(stack.poller.deadLetterQueue.queueName),
            },
          ],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      ],
      [
        'no completed sweep for 10 minutes (missing data breaches)',
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
        'lag above 15 minutes for 15 minutes',
        () => ({
          ...custom(MetricName.LagSeconds),
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          Threshold: 900,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
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

    it('draws the poller’s metrics on a dashboard', () => {
      const dashboard = onlyResource(template, 'AWS::CloudWatch::Dashboard');
      const body = JSON.stringify(dashboard.Properties.DashboardBody);
      for (const metric of [
        MetricName.EventsPublished,
        MetricName.CustomersPolled,
        MetricName.PollErrors,
        MetricName.LagSeconds,
        MetricName.SweepDuration,
        MetricName.SweepCompleted,
        MetricName.EventsParked,
        MetricName.CustomersDeferred,
      ]) {
        expect(body).toContain(
          `[\\"CapillaryEventPoller\\",\\"${metric}\\",\\"service\\",\\"capillary-event-poller\\"`,
        );
      }
      expect(body).toContain('ApproximateNumberOfMessagesVisible');
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
      'FunctionName',
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

    it('acknowledges exactly two findings, each on the one resource it concerns, with its reason', () => {
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
      ]);
    });
  });
});
