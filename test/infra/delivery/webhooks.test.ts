import { Match, type Template } from 'aws-cdk-lib/assertions';
import type * as events from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CapillaryEventPollerStack } from '../../../infra/capillary-event-poller-stack.js';
import { matchesEventPattern } from '../../support/event-pattern-matcher.js';
import {
  DOWNSTREAM_BUS_ARN,
  ORDERS_KEY_ARN,
  synthEveryFeatureStack,
  WEBHOOKS,
} from '../every-feature-stack.js';
import { acknowledgements, denyPlainHttp, nagFindings } from '../support.js';

// One synthesis: webhooks of every kind, an alert, and two onEvent rules (one replay-inclusive).
let stack: CapillaryEventPollerStack;
let template: Template;
let ref: (value: unknown) => unknown;
beforeAll(() => {
  ({ stack, template } = synthEveryFeatureStack());
  ref = (value) => stack.resolve(value);
}, 120_000);

const webhook = (name: string) => {
  const found = stack.poller.webhooks[name];
  if (found === undefined) throw new Error(`no webhook ${name}`);
  return found;
};
type Resource = { Properties: Record<string, unknown> };
/** The connection or destination of a webhook, found by the description the construct gives it. */
const webhookResource = (type: string, name: string): Resource => {
  const found = Object.values(
    template.findResources(type, {
      Properties: { Description: `capillary-event-poller webhook ${name}` },
    }),
  );
  if (found.length !== 1) throw new Error(`expected one ${type} for ${name}`);
  return found[0] as Resource;
};
const connection = (name: string) => webhookResource('AWS::Events::Connection', name);
const destination = (name: string) =>
  webhookResource('AWS::Events::ApiDestination', name).Properties;
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

describe('webhooks', () => {
  it('creates a connection, an API destination and a rule per webhook', () => {
    template.resourceCountIs('AWS::Events::Connection', WEBHOOKS.length);
    template.resourceCountIs('AWS::Events::ApiDestination', WEBHOOKS.length);
    // Five webhooks, one alert, three onEvent rules.
    template.resourceCountIs('AWS::Events::Rule', 9);
  });

  it('keeps an API key in Secrets Manager, referenced at deploy', () => {
    expect(connection('orders').Properties).toEqual({
      Description: 'capillary-event-poller webhook orders',
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyName: 'x-api-key',
          ApiKeyValue: `{{resolve:secretsmanager:${ORDERS_KEY_ARN}:SecretString:apiKey::}}`,
        },
      },
    });
  });

  it('sends basic auth with the password from Secrets Manager', () => {
    expect(connection('crm').Properties).toMatchObject({
      AuthorizationType: 'BASIC',
      AuthParameters: {
        BasicAuthParameters: {
          Username: 'capillary',
          Password: '{{resolve:secretsmanager:crm/basic:SecretString:password::}}',
        },
      },
    });
  });

  it('lets EventBridge fetch OAuth client-credentials tokens, the client secret referenced', () => {
    expect(connection('warehouse').Properties).toMatchObject({
      AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
      AuthParameters: {
        OAuthParameters: {
          AuthorizationEndpoint: 'https://auth.example.com/oauth2/token',
          HttpMethod: 'POST',
          ClientParameters: {
            ClientID: 'capillary-poller',
            ClientSecret: '{{resolve:secretsmanager:warehouse/oauth:SecretString:clientSecret::}}',
          },
          OAuthHttpParameters: {
            BodyParameters: [
              { Key: 'grant_type', Value: 'client_credentials', IsValueSecret: false },
              { Key: 'scope', Value: 'events.write', IsValueSecret: false },
            ],
          },
        },
      },
    });
  });

  it('points each destination at its URL with its rate limit (defaults by preset)', () => {
    expect(destination('orders')).toMatchObject({
      InvocationEndpoint: 'https://orders.example.com/capillary',
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 25,
      ConnectionArn: ref(webhook('orders').connection.connectionArn),
    });
    expect(destination('crm').InvocationRateLimitPerSecond).toBe(10);
    expect(destination('sales-slack')).toMatchObject({
      // The Slack URL is a credential: a dynamic reference, resolved by CloudFormation.
      InvocationEndpoint: '{{resolve:secretsmanager:slack/sales:SecretString:::}}',
      InvocationRateLimitPerSecond: 1,
    });
    expect(destination('vip-pager')).toMatchObject({
      InvocationEndpoint: 'https://events.pagerduty.com/v2/enqueue',
      InvocationRateLimitPerSecond: 2,
    });
  });

  it('matches source, event names and detail, guards against replays, and retries into a DLQ', () => {
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
        Arn: ref(orders.destination.apiDestinationArn),
        RoleArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: ref(delivery('webhook', 'orders').deadLetterQueue?.queueArn) },
        InputTransformer: {
          InputPathsMap: {
            'detail-customerId': '$.detail.customerId',
            'detail-type': '$.detail-type',
            time: '$.time',
          },
          InputTemplate: '{"customer":<detail-customerId>,"event":<detail-type>,"at":<time>}',
        },
      },
    ]);
  });

  it('lets the invoke role call only its own destination', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'events:InvokeApiDestination',
            Effect: 'Allow',
            Resource: ref(webhook('orders').destination.apiDestinationArn),
          },
        ],
      },
    });
  });

  it('delivers replays only to a webhook with onReplay: true', () => {
    expect(ruleProps(webhook('crm').rule).EventPattern).toEqual({
      source: ['capillary.events'],
      'detail-type': ['TierUpgrade'],
    });
  });

  it('renders the Slack preset as text naming the event, the customer and its time', () => {
    expect(ruleProps(webhook('sales-slack').rule).Targets[0]?.InputTransformer).toEqual({
      InputPathsMap: {
        'detail-type': '$.detail-type',
        'detail-customerId': '$.detail.customerId',
        'detail-orgId': '$.detail.orgId',
        time: '$.time',
      },
      InputTemplate:
        '{"text":"Capillary <detail-type> for customer <detail-customerId> (org <detail-orgId>) at <time>"}',
    });
  });

  it('renders the PagerDuty preset as an Events API v2 trigger, the routing key added by the connection', () => {
    const transformer = ruleProps(webhook('vip-pager').rule).Targets[0]?.InputTransformer as {
      InputTemplate: string;
      InputPathsMap: Record<string, string>;
    };
    expect(transformer.InputTemplate).toBe(
      '{"event_action":"trigger","dedup_key":<detail-poller-eventKey>,"payload":{"summary":"Capillary <detail-type> for customer <detail-customerId>","source":<source>,"severity":"error","timestamp":<time>,"custom_details":{"eventName":<detail-type>,"customerId":<detail-customerId>,"orgId":<detail-orgId>,"eventKey":<detail-poller-eventKey>}}}',
    );
    expect(transformer.InputPathsMap).toMatchObject({
      'detail-poller-eventKey': '$.detail.poller.eventKey',
      time: '$.time',
    });
    expect(transformer.InputTemplate).not.toContain('routing_key');
    expect(connection('vip-pager').Properties).toMatchObject({
      AuthParameters: {
        InvocationHttpParameters: {
          BodyParameters: [
            {
              Key: 'routing_key',
              Value: '{{resolve:secretsmanager:pagerduty/vip:SecretString:routingKey::}}',
              IsValueSecret: true,
            },
          ],
        },
      },
    });
  });

  it('puts no secret value in the template: every credential is a Secrets Manager reference', () => {
    const credentials: [string, unknown][] = [];
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) {
        for (const [index, item] of value.entries()) walk(item, `${path}[${index}]`);
      } else if (typeof value === 'object' && value !== null) {
        const entry = value as Record<string, unknown>;
        for (const [key, item] of Object.entries(entry)) {
          const secret =
            ['ApiKeyValue', 'Password', 'ClientSecret'].includes(key) ||
            (key === 'Value' && entry.IsValueSecret === true);
          if (secret) credentials.push([`${path}.${key}`, item]);
          walk(item, `${path}.${key}`);
        }
      }
    };
    const connections = template.findResources('AWS::Events::Connection');
    walk(connections, 'Connections');
    const notReferences = credentials.filter(
      ([, value]) => typeof value !== 'string' || !value.startsWith('{{resolve:secretsmanager:'),
    );
    // The presets' fixed sender header is the only plain value: the webhook's own name.
    expect(notReferences.map(([, value]) => value).sort()).toEqual(['sales-slack', 'vip-pager']);
    expect(credentials.length).toBe(notReferences.length + 4);
    const everything = JSON.stringify(template.toJSON());
    expect(everything).not.toMatch(/hooks\.slack\.com/);
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
    // 14 operational alarms (FeedStalled included), 9 failed-invocation alarms, 8 queue-depth alarms (Rebuild brings its own queue).
    template.resourceCountIs('AWS::CloudWatch::Alarm', 14 + 9 + 8);
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
  const live = {
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
      attributes: { amount: 2500, storeCode: 'S1' },
      poller: { eventKey: 'k-1' },
    },
  };
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
    expect(nagFindings(stack)).toEqual([]);
  });

  it('acknowledges only SQS3 on each delivery dead-letter queue, with a reason naming it', () => {
    const all = acknowledgements(stack);
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
