import { Match, type Template } from 'aws-cdk-lib/assertions';
import type * as events from 'aws-cdk-lib/aws-events';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CapillaryEventPollerStack } from '../../../infra/capillary-event-poller-stack.js';
import { parseWebhookDeliveryConfig } from '../../../src/adapters/webhook/webhook-delivery-config.js';
import { parseWebhookEnvelope } from '../../../src/adapters/webhook/webhook-envelope.js';
import { matchesEventPattern } from '../../support/event-pattern-matcher.js';
import { DOWNSTREAM_BUS_ARN, ORDERS_KEY_ARN, WEBHOOKS } from '../every-feature-stack.js';
import { SharedPollerStack } from '../shared-stacks.js';
import { denyPlainHttp } from '../support.js';

// The shared stack with every feature: webhooks of every kind, an alert, and two onEvent rules
// (one replay-inclusive).
const everyFeature = new SharedPollerStack('everyFeature');
const { ref } = everyFeature;
let stack: CapillaryEventPollerStack;
let template: Template;
beforeAll(() => {
  ({ stack, template } = everyFeature);
});

const webhook = (name: string) => {
  const found = stack.poller.webhooks[name];
  if (found === undefined) throw new Error(`no webhook ${name}`);
  return found;
};
type Resource = { Properties: Record<string, unknown> };
const ruleProps = (rule: events.Rule) =>
  (template.toJSON().Resources[stack.getLogicalId(rule.node.defaultChild as never)] as Resource)
    .Properties as {
    EventPattern: Record<string, unknown>;
    Targets: Record<string, unknown>[];
  };
const delivery = (kind: string, name: string) => {
  const found = stack.poller.deliveries.deliveries.find(
    (entry) => entry.kind === kind && entry.name === name,
  );
  if (found === undefined) throw new Error(`no delivery ${kind} ${name}`);
  return found;
};
const resourceOf = (construct: IConstruct): Resource =>
  template.toJSON().Resources[stack.getLogicalId(construct.node.defaultChild as never)] as Resource;
/** The delivery function's WEBHOOK_DELIVERY, its tokens as `<token>`. */
const deliveryConfig = (name: string, token = '<token>'): Record<string, unknown> => {
  const variables = (
    resourceOf(webhook(name).deliveryFunction).Properties.Environment as {
      Variables: { WEBHOOK_DELIVERY: unknown };
    }
  ).Variables;
  const joined = variables.WEBHOOK_DELIVERY as { 'Fn::Join': [string, unknown[]] };
  const text = joined['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : token))
    .join('');
  return JSON.parse(text) as Record<string, unknown>;
};
const transformer = (name: string) =>
  ruleProps(webhook(name).rule).Targets[0]?.InputTransformer as {
    InputTemplate: string;
    InputPathsMap: Record<string, string>;
  };

const SAMPLE_EVENT = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'Purchase',
  source: 'capillary.events',
  account: '123456789012',
  time: '2024-05-01T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    customerId: '123456789',
    orgId: 50123,
    eventName: 'Purchase',
    attributes: { amount: 2500 },
    poller: { eventKey: 'k-1' },
  },
};

/**
 * What EventBridge's input transformer makes of `event`: a placeholder inside a JSON string is
 * replaced by the value's text, one outside by the value as JSON (null when the path is missing).
 */
function transform(
  input: { InputTemplate: string; InputPathsMap: Record<string, string> },
  event: unknown,
): string {
  const at = (path: string): unknown =>
    path === '$'
      ? event
      : path
          .slice(2)
          .split('.')
          .reduce<unknown>(
            (value, key) => (value as Record<string, unknown> | undefined)?.[key],
            event,
          );
  const template = input.InputTemplate;
  let out = '';
  let inString = false;
  for (let index = 0; index < template.length; index++) {
    const char = template[index] as string;
    if (char === '"' && template[index - 1] !== '\\') inString = !inString;
    const placeholder = char === '<' ? /^<([^<>]+)>/.exec(template.slice(index)) : null;
    const name = placeholder?.[1];
    if (
      placeholder &&
      name !== undefined &&
      (name === 'aws.events.event.json' || name in input.InputPathsMap)
    ) {
      const value =
        name === 'aws.events.event.json' ? event : at(input.InputPathsMap[name] as string);
      out += inString ? String(value) : JSON.stringify(value ?? null);
      index += placeholder[0].length - 1;
      continue;
    }
    out += char;
  }
  return out;
}

describe('webhooks', () => {
  it('gives each webhook a rule, a queue, a dead-letter queue and a delivery function, and no API destination', () => {
    template.resourceCountIs('AWS::Events::Connection', 0);
    template.resourceCountIs('AWS::Events::ApiDestination', 0);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', WEBHOOKS.length + 1);
    // Five webhooks, one alert, three onEvent rules.
    template.resourceCountIs('AWS::Events::Rule', 9);
    for (const { name } of WEBHOOKS) {
      expect(webhook(name).deadLetterQueue).toBe(delivery('webhook', name).deadLetterQueue);
    }
  });

  it('retries on the queue: redrive after retryAttempts retries, visibility 6 times the function timeout', () => {
    expect(resourceOf(webhook('orders').queue).Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 540,
      MessageRetentionPeriod: 345_600,
      RedrivePolicy: {
        deadLetterTargetArn: ref(webhook('orders').deadLetterQueue.queueArn),
        maxReceiveCount: 11,
      },
    });
    expect(
      (resourceOf(webhook('crm').queue).Properties.RedrivePolicy as { maxReceiveCount: number })
        .maxReceiveCount,
    ).toBe(186);
    expect(resourceOf(webhook('orders').deliveryFunction).Properties).toMatchObject({
      Timeout: 90,
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
    });
  });

  it('limits each endpoint: the event source’s maximum concurrency, and a pace per function', () => {
    const mapping = (name: string) =>
      Object.values(
        template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: ref(webhook(name).deliveryFunction.functionName) },
        }),
      )[0] as Resource;
    expect(mapping('orders').Properties).toMatchObject({
      EventSourceArn: ref(webhook('orders').queue.queueArn),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
    expect(deliveryConfig('orders')).toMatchObject({ requestsPerSecond: 5 });
    expect(mapping('sales-slack').Properties).toMatchObject({
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect(deliveryConfig('sales-slack')).toMatchObject({ requestsPerSecond: 0.5 });
    expect(deliveryConfig('vip-pager')).toMatchObject({ requestsPerSecond: 1 });
  });

  it('tells the delivery function which secrets to read, never their values', () => {
    expect(deliveryConfig('orders')).toEqual({
      name: 'orders',
      url: 'https://orders.example.com/capillary',
      auth: { apiKey: { header: 'x-api-key', secret: ORDERS_KEY_ARN, field: 'apiKey' } },
      maxEventAgeSeconds: 7200,
      requestsPerSecond: 5,
      timeoutMs: 10_000,
      queueUrl: '<token>',
      deadLetterQueueUrl: '<token>',
    });
    expect(deliveryConfig('sales-slack')).toMatchObject({ url: { secret: 'slack/sales' } });
    expect(deliveryConfig('vip-pager')).toMatchObject({
      url: 'https://events.pagerduty.com/v2/enqueue',
      routingKey: { secret: 'pagerduty/vip', field: 'routingKey' },
    });
    expect(deliveryConfig('warehouse')).toMatchObject({
      auth: {
        oauthClientCredentials: {
          tokenUrl: 'https://auth.example.com/oauth2/token',
          secret: 'warehouse/oauth',
        },
      },
    });
  });

  it('gives each delivery function a configuration its own schema accepts', () => {
    for (const { name } of WEBHOOKS) {
      const text = JSON.stringify(
        deliveryConfig(name, 'https://sqs.eu-west-1.amazonaws.com/123456789012/queue'),
      );
      expect(parseWebhookDeliveryConfig(text).name).toBe(name);
    }
  });

  it('lets each delivery function read its own secrets only, and park on its own dead-letter queue', () => {
    const statements = (name: string) => {
      const role = webhook(name).deliveryRole;
      const policies = Object.values(
        template.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [ref(role.roleName)] },
        }),
      ) as Resource[];
      return policies.flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
      );
    };
    const reads = (name: string) =>
      statements(name)
        .filter((statement) =>
          JSON.stringify(statement.Action).includes('secretsmanager:GetSecretValue'),
        )
        .map((statement) => statement.Resource);
    expect(reads('orders')).toEqual([ORDERS_KEY_ARN]);
    expect(JSON.stringify(reads('crm'))).toContain(':secret:crm/basic-??????');
    expect(JSON.stringify(reads('crm'))).not.toContain('slack');
    expect(statements('orders')).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['sqs:SendMessage']),
        Resource: ref(webhook('orders').deadLetterQueue.queueArn),
      }),
    );
  });

  it('matches source, event names and detail, guards against replays, and queues the rendered body', () => {
    const orders = webhook('orders');
    const props = ruleProps(orders.rule);
    expect(props.EventPattern).toEqual({
      source: ['capillary.events'],
      'detail-type': ['Purchase', 'Return'],
      detail: { attributes: { amount: [{ numeric: ['>=', 1000] }] } },
      'replay-name': [{ exists: false }],
    });
    expect(props.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: ref(orders.queue.queueArn),
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: ref(orders.deadLetterQueue.queueArn) },
        InputTransformer: {
          InputPathsMap: {
            'detail-customerId': '$.detail.customerId',
            'detail-type': '$.detail-type',
            time: '$.time',
            webhookId: '$.detail.poller.eventKey',
            webhookTime: '$.time',
            webhookEventName: '$.detail-type',
            webhookCustomerId: '$.detail.customerId',
          },
          InputTemplate:
            '{"id":<webhookId>,"time":<webhookTime>,"eventName":<webhookEventName>,"customerId":<webhookCustomerId>,"body":{"customer":<detail-customerId>,"event":<detail-type>,"at":<time>}}',
        },
      },
    ]);
    const queued = parseWebhookEnvelope(transform(transformer('orders'), SAMPLE_EVENT));
    expect(queued.envelope).toEqual({
      id: 'k-1',
      time: '2024-05-01T10:00:00Z',
      eventName: 'Purchase',
      customerId: '123456789',
      body: { customer: '123456789', event: 'Purchase', at: '2024-05-01T10:00:00Z' },
    });
  });

  it('queues the whole event when there is no template', () => {
    const queued = parseWebhookEnvelope(transform(transformer('crm'), SAMPLE_EVENT));
    expect(queued.envelope?.body).toEqual(SAMPLE_EVENT);
    expect(queued.envelope?.id).toBe('k-1');
  });

  it('delivers replays only to a webhook with onReplay: true', () => {
    expect(ruleProps(webhook('crm').rule).EventPattern).toEqual({
      source: ['capillary.events'],
      'detail-type': ['TierUpgrade'],
    });
  });

  it('renders the Slack preset as text naming the event, the customer and its time', () => {
    const queued = parseWebhookEnvelope(transform(transformer('sales-slack'), SAMPLE_EVENT));
    expect(queued.envelope?.body).toEqual({
      text: 'Capillary Purchase for customer 123456789 (org 50123) at 2024-05-01T10:00:00Z',
    });
  });

  it('renders the PagerDuty preset as an Events API v2 trigger, without the routing key', () => {
    const queued = parseWebhookEnvelope(
      transform(transformer('vip-pager'), { ...SAMPLE_EVENT, 'detail-type': 'TierDowngrade' }),
    );
    expect(queued.envelope?.body).toEqual({
      event_action: 'trigger',
      dedup_key: 'k-1',
      payload: {
        summary: 'Capillary TierDowngrade for customer 123456789',
        source: 'capillary.events',
        severity: 'error',
        timestamp: '2024-05-01T10:00:00Z',
        custom_details: {
          eventName: 'TierDowngrade',
          customerId: '123456789',
          orgId: 50123,
          eventKey: 'k-1',
        },
      },
    });
    expect(transformer('vip-pager').InputTemplate).not.toContain('routing_key');
  });

  it('lists every webhook’s queue and dead-letter queue in the WebhookQueues output', () => {
    const output = template.toJSON().Outputs.WebhookQueues as {
      Value: { 'Fn::Join': [string, unknown[]] };
    };
    const parts = output.Value['Fn::Join'][1];
    const text = parts
      .map((part) => (typeof part === 'string' ? part : JSON.stringify(part).replaceAll('"', "'")))
      .join('');
    const parsed = JSON.parse(text) as Record<string, { queueUrl: string; dlqUrl: string }>;
    expect(Object.keys(parsed)).toEqual(WEBHOOKS.map(({ name }) => name));
    expect(parsed.orders).toEqual({
      queueUrl: `{'Ref':'${stack.getLogicalId(webhook('orders').queue.node.defaultChild as never)}'}`,
      dlqUrl: `{'Ref':'${stack.getLogicalId(webhook('orders').deadLetterQueue.node.defaultChild as never)}'}`,
    });
  });
});

describe('delivery guarantees on every rule target', () => {
  const everyTarget = () =>
    Object.values(template.findResources('AWS::Events::Rule')).flatMap(
      (rule) => (rule as { Properties: { Targets: Record<string, unknown>[] } }).Properties.Targets,
    );

  it('gives every target a dead-letter queue, and a retry policy wherever EventBridge takes one', () => {
    const targetsFound = everyTarget();
    expect(targetsFound).toHaveLength(9);
    const busTargets = [DOWNSTREAM_BUS_ARN];
    for (const target of targetsFound) {
      expect(target).toMatchObject({ DeadLetterConfig: { Arn: expect.anything() } });
      if (busTargets.includes(target.Arn as string)) {
        // EventBridge accepts no retry policy on an event-bus target.
        expect(target).not.toHaveProperty('RetryPolicy');
      } else {
        expect(target).toMatchObject({ RetryPolicy: { MaximumRetryAttempts: expect.any(Number) } });
      }
    }
    expect(targetsFound.filter((target) => 'RetryPolicy' in target)).toHaveLength(7);
  });

  it('keeps a dead-letter queue an onEvent target brings, and creates none beside it', () => {
    const rebuild = delivery('onEvent', 'Rebuild');
    expect(rebuild.deadLetterQueue).toBeUndefined();
    expect(rebuild.deadLetterQueueAlarm).toBeUndefined();
    expect(ruleProps(rebuild.rule).Targets[0]?.DeadLetterConfig).toEqual({
      Arn: { 'Fn::GetAtt': [expect.stringMatching(/^RebuildDlq/), 'Arn'] },
    });
    expect(ruleProps(rebuild.rule).EventPattern).not.toHaveProperty('replay-name');
  });

  it('gives the alert and onEvent targets the default retry policy and their own queue', () => {
    for (const [kind, name] of [
      ['alert', 'high-value'],
      ['onEvent', 'ToQueue'],
    ] as const) {
      const found = delivery(kind, name);
      expect(ruleProps(found.rule).Targets[0]).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: ref(found.deadLetterQueue?.queueArn) },
      });
      expect(ruleProps(found.rule).EventPattern).toMatchObject({
        'replay-name': [{ exists: false }],
      });
    }
  });

  it('encrypts each dead-letter queue, refuses plain HTTP, and lets only its rule send to it', () => {
    const orders = delivery('webhook', 'orders');
    const queueId = stack.getLogicalId(orders.deadLetterQueue?.node.defaultChild as never);
    expect(template.toJSON().Resources[queueId].Properties).toEqual({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          denyPlainHttp(ref(orders.deadLetterQueue?.queueArn)),
          {
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': ref(orders.rule.ruleArn) } },
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Resource: ref(orders.deadLetterQueue?.queueArn),
            Sid: Match.anyValue(),
          },
        ],
      },
    });
  });

  it('alarms on failed invocations per rule and on each queue’s depth, notifying the ops topic', () => {
    const ops = [ref(stack.poller.opsTopic.topicArn)];
    for (const entry of stack.poller.deliveries.deliveries) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Events',
        MetricName: 'FailedInvocations',
        Dimensions: [
          { Name: 'EventBusName', Value: ref(stack.poller.eventBus.eventBusName) },
          { Name: 'RuleName', Value: ref(entry.rule.ruleName) },
        ],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: ops,
        OKActions: ops,
      });
      if (entry.deadLetterQueue === undefined) continue;
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: ref(entry.deadLetterQueue.queueName) }],
        Threshold: 1,
        AlarmActions: ops,
      });
    }
    // 15 operational alarms (CorruptItems and FeedStalled included), 9 failed-invocation alarms, 8 queue-depth alarms (Rebuild brings its own queue).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 15 + 9 + 8);
  });

  it('shows deliveries, failures and DLQ depth per target on the dashboard', () => {
    const body = JSON.stringify(
      stack.resolve(
        (
          template.findResources('AWS::CloudWatch::Dashboard') as Record<
            string,
            { Properties: { DashboardBody: unknown } }
          >
        )[Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))[0] as string]
          ?.Properties.DashboardBody,
      ),
    );
    for (const entry of stack.poller.deliveries.deliveries) {
      const title = `${entry.kind} ${entry.name}`;
      expect(body).toContain(`Deliveries: ${title}`);
      expect(body).toContain(`Alarms: ${title}`);
      if (entry.deadLetterQueue !== undefined) expect(body).toContain(`DLQ depth: ${title}`);
    }
    for (const metric of ['Invocations', 'FailedInvocations', 'InvocationsSentToDlq']) {
      expect(body).toContain(`\\"AWS/Events\\",\\"${metric}\\"`);
    }
  });
});

describe('replay guard, matched against sample events', () => {
  const live = SAMPLE_EVENT;
  const replayed = { ...live, 'replay-name': 'fix-orders-2024-05-01' };
  const pattern = (rule: events.Rule) => ruleProps(rule).EventPattern;

  it('fires a webhook on the live event and not on its replay', () => {
    const orders = pattern(webhook('orders').rule);
    expect(matchesEventPattern(orders, live)).toBe(true);
    expect(matchesEventPattern(orders, replayed)).toBe(false);
  });

  it('still applies the detail filter and the event names', () => {
    const orders = pattern(webhook('orders').rule);
    const small = { ...live, detail: { ...live.detail, attributes: { amount: 10 } } };
    expect(matchesEventPattern(orders, small)).toBe(false);
    expect(matchesEventPattern(orders, { ...live, 'detail-type': 'TierUpgrade' })).toBe(false);
    expect(matchesEventPattern(orders, { ...live, source: 'other.source' })).toBe(false);
  });

  it('fires alerts and onEvent targets on live events only', () => {
    for (const rule of [
      delivery('alert', 'high-value').rule,
      delivery('webhook', 'sales-slack').rule,
    ]) {
      expect(matchesEventPattern(pattern(rule), live)).toBe(true);
      expect(matchesEventPattern(pattern(rule), replayed)).toBe(false);
    }
    const points = { ...live, 'detail-type': 'PointsRedeemed' };
    const downstream = pattern(delivery('onEvent', 'ToDownstream').rule);
    expect(matchesEventPattern(downstream, points)).toBe(true);
    expect(matchesEventPattern(downstream, { ...points, 'replay-name': 'r1' })).toBe(false);
  });

  it('lets replays through where onReplay is true', () => {
    const rebuild = pattern(delivery('onEvent', 'Rebuild').rule);
    expect(matchesEventPattern(rebuild, live)).toBe(true);
    expect(matchesEventPattern(rebuild, replayed)).toBe(true);
    const tier = { ...live, 'detail-type': 'TierUpgrade' };
    const crm = pattern(webhook('crm').rule);
    expect(matchesEventPattern(crm, { ...tier, 'replay-name': 'r1' })).toBe(true);
  });
});

describe('cdk-nag AwsSolutions with webhooks', () => {
  it('has no unacknowledged finding', () => {
    expect(everyFeature.nagFindings).toEqual([]);
  });

  it('acknowledges only SQS3 on each delivery dead-letter queue, with a reason naming it', () => {
    const all = everyFeature.acknowledgements;
    const delivered = all.filter(({ path }) =>
      /\/(Rule|ToDownstream|ToQueue)\/DeadLetterQueue$/.test(path),
    );
    expect(delivered.map(({ id }) => id)).toEqual(Array(8).fill('AwsSolutions-SQS3'));
    for (const { reason } of delivered) {
      expect(reason).toMatch(
        /^This queue is the dead-letter queue of the (alert|webhook|onEvent) /,
      );
    }
    const others = all.filter((entry) => !delivered.includes(entry));
    expect(others.map(({ path, id }) => `${path} ${id}`)).toEqual([
      'Test/Poller/CapillaryCredentials AwsSolutions-SMG4',
      'Test/Poller/DeadLetterQueue AwsSolutions-SQS3',
      'Test/Poller/WorkDeadLetterQueue AwsSolutions-SQS3',
      'Test/Poller/IdentifierKey AwsSolutions-SMG4',
      'Test/RebuildDlq AwsSolutions-SQS3',
      'Test/Orders AwsSolutions-SQS3',
    ]);
  });
});
