import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeSharedDispatcher,
  TokenBucket,
} from '../../src/adapters/capillary/capillary-transport.js';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { DynamoDbQuotaGate } from '../../src/adapters/dynamodb/dynamodb-quota-gate.js';
import { loadSettings } from '../../src/config/settings.js';
import type { OutgoingEvent } from '../../src/domain/ports.js';
import { createPollDependencies } from '../../src/runtime/create-adapters.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { EventBridgeDouble } from '../support/eventbridge-double.js';

let dynamo: DynamoDBClient;
let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;

beforeAll(async () => {
  dynamo = dynamoDbLocalClient();
  capillary = await CapillaryDouble.start();
  eventBridge = await EventBridgeDouble.start();
});

afterAll(async () => {
  dynamo.destroy();
  await capillary.close();
  await eventBridge.close();
  await closeSharedDispatcher();
});

const NO_LOGS = { debug() {}, info() {}, warn() {}, error() {} };

async function build(env: Record<string, string>, shareQuota: boolean) {
  const tableName = await createTestTable(dynamo, 'adapters');
  const settings = loadSettings(
    {
      CAPILLARY_BASE_URL: capillary.url.toString(),
      TABLE_NAME: tableName,
      EVENT_BUS_NAME: 'bus',
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      CAPILLARY_USERNAME: 'till_user',
      CAPILLARY_PASSWORD: 'secret',
      ...env,
    },
    { allowEmbedded: false },
  );
  return createPollDependencies(settings, {
    logger: NO_LOGS,
    stdout: process.stdout,
    store: new DynamoDbCursorStore({ client: dynamo, tableName }),
    capillaryBaseUrl: capillary.url,
    credentials: undefined,
    quotaTable: shareQuota ? { client: dynamo, tableName } : undefined,
  });
}

function event(customerId: string): OutgoingEvent {
  const time = new Date('2025-05-08T08:56:57Z');
  return {
    key: `k-${customerId}`,
    customerId,
    detailType: 'TestingEvent_FE',
    time,
    detail: { customerId } as unknown as OutgoingEvent['detail'],
  };
}

describe('createPollDependencies', () => {
  it("takes Capillary budget from the table's shared gate, counts requests, and sizes in-flight from the budget", async () => {
    const deps = await build({ CAPILLARY_RPS: '200' }, true);
    expect(deps.quota).toBeInstanceOf(DynamoDbQuotaGate);
    // Before any request is timed: a 250 ms guess, twice over, + 1.
    expect(deps.inFlightLimit()).toBe(101);
    await deps.source.fetchEvents({ customerId: '564590100', scope: 'default' });
    await deps.source.fetchEvents({ customerId: '564590101', scope: 'default' });
    expect(deps.capillaryRequests()).toBe(2);
    // Loopback answers in a few ms: far fewer needed now.
    expect(deps.inFlightLimit()).toBeLessThan(101);
    expect((deps.quota as DynamoDbQuotaGate).writes).toBeGreaterThan(0);
  });

  it('keeps an in-process budget without a shared table, and POLL_CONCURRENCY bounds the sizing', async () => {
    const deps = await build({ CAPILLARY_RPS: '200', POLL_CONCURRENCY: '8' }, false);
    expect(deps.quota).toBeInstanceOf(TokenBucket);
    expect(deps.inFlightLimit()).toBe(8);
  });

  it("packs concurrent customers' events into one PutEvents request", async () => {
    const deps = await build({}, false);
    eventBridge.reset();
    const outcomes = await Promise.all([
      deps.publisher.publish([event('1')]),
      deps.publisher.publish([event('2')]),
      deps.publisher.publish([event('3')]),
    ]);
    expect(outcomes.flat().map((outcome) => outcome.status)).toEqual([
      'published',
      'published',
      'published',
    ]);
    expect(eventBridge.requests).toHaveLength(1);
  });
});
