// A deploy that changes a stateful resource's logical ID replaces it: the watchlist table with
// every cursor, the queues with their parked messages, the bus, its archive, the secret someone
// filled in. The IDs are pinned here so a refactor of the construct cannot move them silently.
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CapillaryEventPoller } from '../../infra/capillary-event-poller.js';
import { SharedPollerStack } from './shared-stacks.js';
import { resourceIn } from './support.js';

const everyFeature = new SharedPollerStack('everyFeature');
let poller: CapillaryEventPoller;
let template: Template;
beforeAll(() => {
  ({ poller, template } = everyFeature);
});

/** The kinds of resource whose replacement loses data, messages, credentials or subscribers. */
const STATEFUL_TYPES = [
  'AWS::DynamoDB::Table',
  'AWS::Events::EventBus',
  'AWS::Events::Archive',
  'AWS::SecretsManager::Secret',
  'AWS::SQS::Queue',
  'AWS::KMS::Key',
  'AWS::SNS::Topic',
  'AWS::EventSchemas::Registry',
  'AWS::Events::Connection',
];

const delivery = (kind: string, name: string) => {
  const found = poller.deliveries.deliveries.find((d) => d.kind === kind && d.name === name);
  if (found?.deadLetterQueue === undefined) throw new Error(`no ${kind} ${name} queue`);
  return found.deadLetterQueue;
};

const PINNED: [string, string, (p: CapillaryEventPoller) => IConstruct][] = [
  ['the watchlist table', 'PollerTable1168CB8E', (p) => p.table],
  ['the bus', 'PollerEventBusDDC9E2E4', (p) => p.eventBus],
  ['the archive', 'PollerArchive8C307334', (p) => p.archive],
  ['the credentials secret', 'PollerCapillaryCredentialsA28CEFE8', (p) => p.secret],
  [
    'the identifier hash key',
    'PollerIdentifierKeyB2422EAD',
    (p) => p.identifierKey as NonNullable<typeof p.identifierKey>,
  ],
  ['the dead-letter queue', 'PollerDeadLetterQueue71E58835', (p) => p.deadLetterQueue],
  ['the work queue', 'PollerWorkQueue4440888F', (p) => p.workQueue],
  ['the work dead-letter queue', 'PollerWorkDeadLetterQueue01C170CA', (p) => p.workDeadLetterQueue],
  ['the topics’ key', 'PollerTopicKey50CB0B1D', (p) => p.topicKey],
  ['the ops topic', 'PollerOpsTopic5CABEF15', (p) => p.opsTopic],
  [
    'an alert’s topic',
    'PollerAlerthighvalueTopicC14A184A',
    (p) => p.alertTopics['high-value'] as IConstruct,
  ],
  [
    'an alert’s dead-letter queue',
    'PollerAlerthighvalueRuleDeadLetterQueue631768A6',
    () => delivery('alert', 'high-value'),
  ],
  [
    'a webhook’s queue',
    'PollerWebhookordersQueue0EE769AC',
    (p) => p.webhooks.orders?.queue as IConstruct,
  ],
  [
    'a webhook’s dead-letter queue',
    'PollerWebhookordersRuleDeadLetterQueueE9CD6FE0',
    () => delivery('webhook', 'orders'),
  ],
  [
    'an onEvent target’s dead-letter queue',
    'PollerToQueueDeadLetterQueue06021408',
    () => delivery('onEvent', 'ToQueue'),
  ],
];

describe('logical IDs of the stateful resources', () => {
  it.each(PINNED)('keeps %s at %s', (_what, logicalId, construct) => {
    expect(resourceIn(template, construct(poller)).id).toBe(logicalId);
  });

  it('pins every stateful resource of the poller (a new one must be pinned here too)', () => {
    const stateful = Object.entries(template.toJSON().Resources as Record<string, { Type: string }>)
      .filter(([id, resource]) => STATEFUL_TYPES.includes(resource.Type) && id.startsWith('Poller'))
      .map(([id]) => id);
    const pinned = PINNED.map(([, id]) => id);
    // The other webhooks' and onEvent targets' resources follow the same paths as the pinned ones.
    const sameShape =
      /^Poller(Webhook[a-z]+(Queue|RuleDeadLetterQueue)|ToDownstreamDeadLetterQueue|SchemaRegistry)[0-9A-F]{8}$/;
    expect(stateful.filter((id) => !pinned.includes(id) && !sameShape.test(id))).toEqual([]);
  });
});
