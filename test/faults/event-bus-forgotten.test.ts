// Fault row 11: a real table with EVENT_BUS_NAME forgotten. It used to print new events to stdout,
// advance the cursors past them and exit 0: they never reached the bus. Now the CLI refuses before
// it touches anything, and once the bus is set every event is published exactly once.
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { runCliInProcess } from '../cli/in-process-cli.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { EventBridgeDouble, eventKeyOf, TEST_BUS } from '../support/eventbridge-double.js';
import { rawEvents } from '../support/poller-fixtures.js';

const CUSTOMERS = ['1101', '1102', '1103'];
const EVENTS_EACH = 3;

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let dynamo: DynamoDBClient;
let tableName: string;

/** A real table and a real Capillary, the bus forgotten. */
const forgotten = (): Record<string, string> => ({
  TABLE_NAME: tableName,
  DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
  CAPILLARY_BASE_URL: capillary.url.toString(),
  CAPILLARY_USERNAME: 'till',
  CAPILLARY_PASSWORD: 'bus-forgotten-pw',
  LOG_LEVEL: 'SILENT',
});

const tableItems = async () =>
  (await dynamo.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];

beforeAll(async () => {
  [capillary, eventBridge] = await Promise.all([
    CapillaryDouble.start(),
    EventBridgeDouble.start(),
  ]);
  capillary.setAuth({ kind: 'basic', username: 'till', password: 'bus-forgotten-pw' });
  for (const id of CUSTOMERS) capillary.setEvents(id, rawEvents(id, 1, EVENTS_EACH));
  dynamo = dynamoDbLocalClient();
  tableName = await createTestTable(dynamo, 'fault-bus-forgotten');
  const added = await runCliInProcess(['watch', 'add', ...CUSTOMERS, '--backfill'], forgotten());
  expect(added.code, added.stderr).toBe(0);
});

afterAll(async () => {
  await Promise.all([capillary?.close(), eventBridge?.close()]);
  await closeSharedDispatcher();
  dynamo?.destroy();
});

describe('fault: a real table with EVENT_BUS_NAME forgotten', () => {
  it('poll is refused with exit 2 naming EVENT_BUS_NAME; nothing fetched, printed, published or written', async () => {
    const before = await tableItems();
    for (const argv of [['poll', '--once'], ['poll'], ['poll', '--once', '--json']]) {
      const run = await runCliInProcess(argv, forgotten());
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(
        /^EVENT_BUS_NAME: is required because CAPILLARY_BASE_URL, TABLE_NAME, DYNAMODB_ENDPOINT are set/m,
      );
      expect(run.stderr).toContain('print events to stdout');
      expect(run.stdout).toBe('');
    }
    // An endpoint is not a bus: it would publish to the "default" bus, a guess.
    const endpointOnly = await runCliInProcess(['poll', '--once'], {
      ...forgotten(),
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
    });
    expect(endpointOnly.code, endpointOnly.stderr).toBe(2);
    expect(endpointOnly.stderr).toMatch(/^EVENT_BUS_NAME: is required/m);

    expect(capillary.eventRequests()).toHaveLength(0);
    expect(capillary.tokenRequests()).toHaveLength(0);
    expect(eventBridge.requests).toHaveLength(0);
    expect(await tableItems()).toEqual(before);
  });

  it('the commands that need no bus still run on the real table', async () => {
    const listed = await runCliInProcess(['watch', 'list', '--json'], forgotten());
    expect(listed.code, listed.stderr).toBe(0);
    const ids = (JSON.parse(listed.stdout) as { customerId: string }[]).map(
      (row) => row.customerId,
    );
    expect(ids).toEqual(CUSTOMERS);
  });

  it('once the bus is set, every event is published exactly once: nothing was lost to the refusal', async () => {
    const run = await runCliInProcess(['poll', '--once'], {
      ...forgotten(),
      EVENT_BUS_NAME: TEST_BUS,
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    const counts = new Map<string, number>();
    for (const entry of eventBridge.accepted) {
      counts.set(eventKeyOf(entry), (counts.get(eventKeyOf(entry)) ?? 0) + 1);
    }
    expect(counts.size).toBe(CUSTOMERS.length * EVENTS_EACH);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    for (const id of CUSTOMERS) expect(capillary.eventRequests(id)).toHaveLength(1);
  });
});
