// One stack with every feature: webhooks of every kind, an alert, and onEvent rules to a bus, a
// queue and a target that brings its own dead-letter queue. Synthesized once per run and shared
// by the tests of what they add (shared-stacks.ts).
import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { CapillaryEventPollerStack } from '../../infra/capillary-event-poller-stack.js';
import type { PollerWebhook } from '../../infra/delivery/webhook-props.js';
import { BASE_URL, buildPollerStack } from './support.js';

export const DOWNSTREAM_BUS_ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/downstream';
export const ORDERS_KEY_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders/api-key-AbCdEf';

export const WEBHOOKS: PollerWebhook[] = [
  {
    name: 'orders',
    eventNames: ['Purchase', 'Return'],
    detail: { attributes: { amount: [{ numeric: ['>=', 1000] }] } },
    url: 'https://orders.example.com/capillary',
    auth: { apiKey: { header: 'x-api-key', secret: ORDERS_KEY_ARN, field: 'apiKey' } },
    inputTemplate: { customer: '<$.detail.customerId>', event: '<$.detail-type>', at: '<$.time>' },
    rateLimitPerSecond: 25,
    retryAttempts: 10,
    maxEventAge: Duration.hours(2),
  },
  {
    name: 'crm',
    eventNames: ['TierUpgrade'],
    url: 'https://crm.example.com/hooks/capillary',
    auth: { basic: { username: 'capillary', secret: 'crm/basic', field: 'password' } },
    onReplay: true,
  },
  {
    name: 'warehouse',
    eventNames: ['Purchase'],
    url: 'https://warehouse.example.com/events',
    auth: {
      oauthClientCredentials: {
        tokenUrl: 'https://auth.example.com/oauth2/token',
        clientId: 'capillary-poller',
        scope: 'events.write',
        secret: 'warehouse/oauth',
        field: 'clientSecret',
      },
    },
  },
  {
    name: 'sales-slack',
    eventNames: ['Purchase'],
    preset: 'slack',
    url: { secret: 'slack/sales' },
  },
  {
    name: 'vip-pager',
    eventNames: ['TierDowngrade'],
    preset: 'pagerduty',
    routingKey: { secret: 'pagerduty/vip', field: 'routingKey' },
    severity: 'error',
  },
];

/** Builds the stack with every feature (cdk-nag registered, as app.ts does), not synthesized. */
export function buildEveryFeatureStack(): CapillaryEventPollerStack {
  return buildPollerStack(
    {
      poller: {
        capillaryBaseUrl: BASE_URL,
        alerts: [{ name: 'high-value', eventNames: ['Purchase'], email: ['sales@example.com'] }],
        webhooks: WEBHOOKS,
      },
    },
    (created) => {
      const downstream = events.EventBus.fromEventBusArn(created, 'Down', DOWNSTREAM_BUS_ARN);
      // A target that brings its own dead-letter queue.
      const rebuildDlq = new sqs.Queue(created, 'RebuildDlq', { enforceSSL: true });
      Validations.of(rebuildDlq).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'A test DLQ.' });
      created.poller.onEvent('ToDownstream', {
        eventNames: ['PointsRedeemed'],
        target: new targets.EventBus(downstream),
      });
      const orders = new sqs.Queue(created, 'Orders', { enforceSSL: true });
      Validations.of(orders).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'A test queue.' });
      created.poller.onEvent('ToQueue', {
        eventNames: ['Purchase'],
        target: new targets.SqsQueue(orders),
      });
      created.poller.onEvent('Rebuild', {
        eventNames: ['Purchase'],
        onReplay: true,
        target: new targets.EventBus(downstream, { deadLetterQueue: rebuildDlq }),
      });
    },
  );
}
