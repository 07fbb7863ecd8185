// Fault row 14: a per-entry PutEvents error code that is not one of the documented permanent ones
// (`InternalException`). It used to park the event on the dead-letter queue (6 of 30 events). Now
// only MalformedDetail, InvalidArgument and RedactionFailure park; any other code is retried within
// the publisher's budget, then reported failed and published by a later poll.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { runCliInProcess } from '../cli/in-process-cli.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { EventBridgeDouble, eventKeyOf, TEST_BUS } from '../support/eventbridge-double.js';
import { rawEvents, uniqueIdOf } from '../support/poller-fixtures.js';
import { SqsDouble } from '../support/sqs-double.js';

const EVENTS_EACH = 3;

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let deadLetters: SqsDouble;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  [capillary, eventBridge, deadLetters] = await Promise.all([
    CapillaryDouble.start(),
    EventBridgeDouble.start(),
    SqsDouble.start(),
  ]);
  capillary.setAuth({ kind: 'basic', username: 'till', password: 'verdicts-pw' });
  dynamo = dynamoDbLocalClient();
});

beforeEach(() => {
  eventBridge.reset();
  deadLetters.reset();
});

afterAll(async () => {
  await Promise.all([capillary?.close(), eventBridge?.close(), deadLetters?.close()]);
  await closeSharedDispatcher();
  dynamo?.destroy();
});

/** A table of its own with `customers` watched (backfill), each with its events in Capillary. */
async function watched(customers: string[]) {
  const tableName = await createTestTable(dynamo, 'fault-put-events-codes');
  const env = {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
    CAPILLARY_BASE_URL: capillary.url.toString(),
    CAPILLARY_USERNAME: 'till',
    CAPILLARY_PASSWORD: 'verdicts-pw',
    EVENT_BUS_NAME: TEST_BUS,
    EVENTBRIDGE_ENDPOINT: eventBridge.url,
    DLQ_URL: deadLetters.queueUrl,
    SQS_ENDPOINT: deadLetters.url,
    LOG_LEVEL: 'SILENT',
  };
  for (const id of customers) capillary.setEvents(id, rawEvents(id, 1, EVENTS_EACH));
  const added = await runCliInProcess(['watch', 'add', ...customers, '--backfill'], env);
  expect(added.code, added.stderr).toBe(0);
  return { env, store: new DynamoDbCursorStore({ client: dynamo, tableName }) };
}

/** How many times the bus accepted each event key. */
function acceptedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of eventBridge.accepted) {
    counts.set(eventKeyOf(entry), (counts.get(eventKeyOf(entry)) ?? 0) + 1);
  }
  return counts;
}

const allKeys = (customers: string[]) =>
  customers.flatMap((id) =>
    Array.from({ length: EVENTS_EACH }, (_, index) => uniqueIdOf(id, index + 1)),
  );

describe('fault: a per-entry PutEvents error code not in the documented list', () => {
  it('InternalException on 6 of 30 entries: retried, all 30 published exactly once, none parked', async () => {
    const customers = Array.from({ length: 10 }, (_, index) => String(1401 + index));
    const { env } = await watched(customers);
    // The second event of six customers fails on its first try only.
    const unlucky = new Set(customers.slice(0, 6).map((id) => uniqueIdOf(id, 2)));
    const failedOnce = new Set<string>();
    eventBridge.failEntries({
      match: (entry) => {
        const key = eventKeyOf(entry);
        if (!unlucky.has(key) || failedOnce.has(key)) return false;
        failedOnce.add(key);
        return true;
      },
      requests: Number.POSITIVE_INFINITY,
      errorCode: 'InternalException',
      errorMessage: 'An internal error occurred.',
    });

    const run = await runCliInProcess(['poll', '--once', '--json'], env);

    expect(run.code, run.stderr).toBe(0);
    expect(failedOnce).toEqual(unlucky);
    const counts = acceptedCounts();
    expect([...counts.keys()].sort()).toEqual(allKeys(customers).sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(deadLetters.queued()).toHaveLength(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ published: 30, parked: 0, failures: [] });
  });

  it('a code still failing after the retry budget is reported failed, not parked, and published by a later poll', async () => {
    const customers = ['1421', '1422', '1423'];
    const { env, store } = await watched(customers);
    const stuck = uniqueIdOf('1421', 2);
    let failing = true;
    eventBridge.failEntries({
      match: (entry) => failing && eventKeyOf(entry) === stuck,
      requests: Number.POSITIVE_INFINITY,
      errorCode: 'SomeFutureException',
      errorMessage: 'a code this poller has never seen',
    });

    const failed = await runCliInProcess(['poll', '--once', '--json'], env);

    expect(failed.code, failed.stderr).toBe(1);
    const summary = JSON.parse(failed.stdout) as {
      parked: number;
      failures: { customerId: string; reason: string }[];
    };
    expect(summary.parked).toBe(0);
    expect(summary.failures.map((failure) => failure.customerId)).toEqual(['1421']);
    expect(summary.failures[0]?.reason).toContain('SomeFutureException');
    expect(deadLetters.queued()).toHaveLength(0);
    // The other customers were not stopped.
    for (const id of ['1422', '1423']) {
      for (let n = 1; n <= EVENTS_EACH; n++)
        expect(acceptedCounts().get(uniqueIdOf(id, n))).toBe(1);
    }
    expect(acceptedCounts().has(stuck)).toBe(false);

    // EventBridge recovers; the customer is due again (as `watch resume` makes it).
    failing = false;
    await store.setStatus('1421', 'paused', Date.now());
    await store.setStatus('1421', 'active', Date.now());
    const recovered = await runCliInProcess(['poll', '--once', '--json'], env);
    expect(recovered.code, recovered.stderr).toBe(0);
    // Over both polls: every event exactly once, the stuck one included.
    const counts = acceptedCounts();
    expect([...counts.keys()].sort()).toEqual(allKeys(customers).sort());
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(deadLetters.queued()).toHaveLength(0);
  });
});
