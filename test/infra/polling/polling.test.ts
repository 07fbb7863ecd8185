import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { SharedPollerStack } from '../shared-stacks.js';
import {
  BASE_URL,
  cursorReadWrite,
  denyPlainHttp,
  nagFindings,
  onlyResource,
  synthPollerStack,
} from '../support.js';

const defaults = new SharedPollerStack('default');
const { ref, resourceOf, logicalId } = defaults;

describe('polling in the default stack', () => {
  it('creates the credentials secret empty (a template of the basic shape), retained', () => {
    const secret = resourceOf(defaults.poller.secret);
    expect(secret.Properties.SecretString).toBe('{"username":"","password":""}');
    expect(secret.Properties.GenerateSecretString).toBeUndefined();
    expect(secret.Properties.Description).toContain('{"username":"...","password":"..."}');
    expect(secret.DeletionPolicy).toBe('Retain');
  });

  describe('the functions', () => {
    const newestNode = () =>
      Object.getOwnPropertyNames(lambda.Runtime)
        .filter((name) => /^NODEJS_\d+_X$/.test(name))
        .map((name) => (lambda.Runtime as unknown as Record<string, lambda.Runtime>)[name])
        .filter((runtime): runtime is lambda.Runtime => runtime !== undefined)
        .sort((a, b) => Number(b.name.match(/\d+/)?.[0]) - Number(a.name.match(/\d+/)?.[0]))[0];

    it('runs a scheduler on the newest Node.js of this aws-cdk-lib, one tick at a time', () => {
      const fn = resourceOf(defaults.poller.scheduler);
      expect(fn.Properties).toMatchObject({
        Runtime: newestNode()?.name,
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: 50,
        ReservedConcurrentExecutions: 1,
        LoggingConfig: {
          LogGroup: { Ref: logicalId(defaults.poller.schedulerLogGroup.logGroupName) },
        },
        Role: ref(defaults.poller.scheduler.role?.roleArn),
      });
      expect(newestNode()?.name).toBe('nodejs24.x');
    });

    it('runs workers on ARM64 with no reserved concurrency: the event source bounds them', () => {
      const fn = resourceOf(defaults.poller.worker);
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 50,
        LoggingConfig: {
          LogGroup: { Ref: logicalId(defaults.poller.workerLogGroup.logGroupName) },
        },
        Role: ref(defaults.poller.worker.role?.roleArn),
      });
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    });

    const shared = () => ({
      TABLE_NAME: ref(defaults.poller.table.tableName),
      EVENT_BUS_NAME: ref(defaults.poller.eventBus.eventBusName),
      EVENT_SOURCE: 'capillary.events',
      CAPILLARY_BASE_URL: BASE_URL,
      CAPILLARY_AUTH: 'basic',
      CAPILLARY_SECRET_ARN: ref(defaults.poller.secret.secretArn),
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
      expect(variables(defaults.poller.scheduler)).toEqual({
        ...shared(),
        WORK_QUEUE_URL: ref(defaults.poller.workQueue.queueUrl),
      });
    });

    it('gives the workers their settings and the dead-letter queue, no credential among them', () => {
      expect(variables(defaults.poller.worker)).toEqual({
        ...shared(),
        DLQ_URL: ref(defaults.poller.deadLetterQueue.queueUrl),
        DLQ_MAX_MESSAGE_BYTES: '1048576',
      });
    });

    it('never retries a failed or stale scheduler tick (the next tick covers it)', () => {
      // The scheduler's and the change feed's.
      defaults.template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 2);
      defaults.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(defaults.poller.scheduler.functionName) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });

    it('logs each function to its own log group, kept 30 days', () => {
      for (const group of [defaults.poller.schedulerLogGroup, defaults.poller.workerLogGroup]) {
        expect(resourceOf(group).Properties).toEqual({ RetentionInDays: 30 });
      }
    });
  });

  describe('fan-out', () => {
    it('queues claimed customers on an encrypted, SSL-only work queue whose messages outlive the worker timeout', () => {
      const queue = resourceOf(defaults.poller.workQueue);
      expect(queue.Properties).toEqual({
        SqsManagedSseEnabled: true,
        // Worker timeout (50 s) plus 30 s: a message comes back only once its worker is gone.
        VisibilityTimeout: 80,
        MessageRetentionPeriod: 3600,
        RedrivePolicy: {
          deadLetterTargetArn: ref(defaults.poller.workDeadLetterQueue.queueArn),
          maxReceiveCount: 3,
        },
      });
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThan(
        resourceOf(defaults.poller.worker).Properties.Timeout as number,
      );
    });

    it('parks work that failed 3 receives on an encrypted, SSL-only work dead-letter queue', () => {
      expect(resourceOf(defaults.poller.workDeadLetterQueue).Properties).toEqual({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      for (const queue of [defaults.poller.workQueue, defaults.poller.workDeadLetterQueue]) {
        defaults.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(queue.queueUrl)],
          PolicyDocument: {
            Statement: [denyPlainHttp(ref(queue.queueArn))],
          },
        });
      }
    });

    it('drains the work queue with at most 4 workers, one message each, reporting failed messages alone', () => {
      expect(onlyResource(defaults.template, 'AWS::Lambda::EventSourceMapping').Properties).toEqual(
        {
          EventSourceArn: ref(defaults.poller.workQueue.queueArn),
          FunctionName: { Ref: logicalId(defaults.poller.worker.functionName) },
          BatchSize: 1,
          ScalingConfig: { MaximumConcurrency: 4 },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      );
    });
  });

  describe('least privilege', () => {
    const policyOf = (role: iam.IRole | undefined) => {
      const found = Object.values(
        defaults.template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: logicalId(role?.roleName) }] },
        }),
      ) as { Properties: { PolicyDocument: unknown } }[];
      expect(found).toHaveLength(1);
      return found[0]?.Properties.PolicyDocument;
    };

    /** The first statement of each function's policy: its own log group, nothing else. */
    const writesLogsTo = (logGroup: logs.ILogGroup) => ({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: ref(logGroup.logGroupArn),
    });

    /** A role's whole policy: writing its logs to `logGroup`, then `statements`, nothing else. */
    const policyWith = (logGroup: logs.ILogGroup, statements: unknown[]) => ({
      Version: '2012-10-17',
      Statement: [writesLogsTo(logGroup), ...statements],
    });

    it('lets the scheduler query the due index, read, walk and claim items, save its walk, send to the work queue and write its logs, nothing else', () => {
      const poller = defaults.poller;
      expect(policyOf(poller.scheduler.role)).toEqual(
        policyWith(poller.schedulerLogGroup, [
          {
            Effect: 'Allow',
            Action: 'dynamodb:Query',
            Resource: { 'Fn::Join': ['', [ref(poller.table.tableArn), '/index/due']] },
          },
          // Read: a cursor to rebuild an unreadable schedule from, the feed's cursor for its health;
          // Scan: the backstop walk; UpdateItem: claims.
          {
            Effect: 'Allow',
            Action: ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
            Resource: ref(poller.table.tableArn),
          },
          // The walk's position, and no other item.
          {
            Effect: 'Allow',
            Action: 'dynamodb:PutItem',
            Resource: ref(poller.table.tableArn),
            Condition: {
              'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['walk#backstop'] },
            },
          },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ref(poller.workQueue.queueArn) },
        ]),
      );
    });

    it('lets a worker consume the work queue, put events on its bus, use its table items, read its secret, park on the dead-letter queue, write its logs, nothing else', () => {
      const poller = defaults.poller;
      expect(policyOf(poller.worker.role)).toEqual(
        policyWith(poller.workerLogGroup, [
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
          cursorReadWrite(ref(poller.table.tableArn)),
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
        ]),
      );
    });

    it('gives the function roles no managed policy and only Lambda as their principal', () => {
      for (const fn of [defaults.poller.scheduler, defaults.poller.worker]) {
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
      defaults.template.hasResourceProperties('AWS::IAM::Role', {
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
      defaults.template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: ref(defaults.poller.scheduler.functionArn),
            },
          ],
        },
      });
    });

    it('lets the change feed read its key and the credentials, use the table items and the identifier index, write its logs, nothing else', () => {
      const poller = defaults.poller;
      // CDK merges statements of one effect on the same resources, or with the same actions.
      expect(policyOf(poller.changeFeed?.role)).toEqual(
        policyWith(poller.changeFeedLogGroup as logs.ILogGroup, [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: [ref(poller.secret.secretArn), ref(poller.identifierKey?.secretArn)],
          },
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:BatchGetItem',
              'dynamodb:BatchWriteItem',
              ...(cursorReadWrite(undefined).Action as string[]),
            ],
            Resource: ref(poller.table.tableArn),
          },
        ]),
      );
    });

    it('has no wildcard resource in any IAM policy', () => {
      const statements = Object.values(defaults.template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) =>
          (policy as { Properties: { PolicyDocument: { Statement: { Resource: unknown }[] } } })
            .Properties.PolicyDocument.Statement,
      );
      expect(statements.length).toBe(16);
      for (const statement of statements)
        expect(JSON.stringify(statement.Resource)).not.toMatch(/\*/);
    });
  });

  it('starts a scheduler tick every minute with EventBridge Scheduler, without retries', () => {
    expect(resourceOf(defaults.poller.schedule).Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: ref(defaults.poller.scheduler.functionArn),
        RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/ScheduleRole/), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      },
    });
  });
});

describe('the change feed in the default stack', () => {
  it('runs one feed function at a time (the only writer of its cursor), looping inside 55 s', () => {
    const fn = resourceOf(defaults.poller.changeFeed as lambda.IFunction);
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 55,
      ReservedConcurrentExecutions: 1,
      Role: ref(defaults.poller.changeFeed?.role?.roleArn),
    });
    const environment = (fn.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(environment).toMatchObject({
      TABLE_NAME: ref(defaults.poller.table.tableName),
      CAPILLARY_BASE_URL: BASE_URL,
      CAPILLARY_SECRET_ARN: ref(defaults.poller.secret.secretArn),
      IDENTIFIER_KEY_SECRET_ARN: ref(defaults.poller.identifierKey?.secretArn),
    });
    defaults.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(defaults.poller.changeFeed?.functionName) },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('starts it every minute, without retries, and generates the identifier key, retained', () => {
    const schedules = Object.values(
      defaults.template.findResources('AWS::Scheduler::Schedule', {
        Properties: { Target: { Arn: ref(defaults.poller.changeFeed?.functionArn) } },
      }),
    ) as { Properties: Record<string, unknown> }[];
    expect(schedules).toHaveLength(1);
    expect(schedules[0]?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Target: { RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } },
    });
    const key = resourceOf(defaults.poller.identifierKey as IConstruct);
    expect(key.Properties.GenerateSecretString).toEqual({
      ExcludePunctuation: true,
      IncludeSpace: false,
      PasswordLength: 64,
    });
    expect(key.DeletionPolicy).toBe('Retain');
  });

  it('is left out with changeFeed: false', () => {
    const { template, stack } = synthPollerStack({
      poller: { capillaryBaseUrl: BASE_URL, changeFeed: false },
    });
    expect(stack.poller.changeFeed).toBeUndefined();
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(stack.poller.alarms.feedStalled).toBeUndefined();
    expect(nagFindings(stack)).toEqual([]);
  });
});
