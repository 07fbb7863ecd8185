// Fault row 12: a real table with CAPILLARY_BASE_URL forgotten. It used to start the built-in
// sandbox, write its customer and sample events into the real table and publish them. Now the CLI
// refuses before it touches anything; and the reverse mix, a real Capillary with the embedded
// table, is refused alike.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { SANDBOX_CUSTOMER_ID } from '../../src/sandbox/capillary-sandbox.js';
import { runCliProcess, shown } from '../cli/cli-process.js';
import { runCliInProcess } from '../cli/in-process-cli.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import {
  detailOf,
  EventBridgeDouble,
  eventKeyOf,
  TEST_BUS,
} from '../support/eventbridge-double.js';
import { rawEvents } from '../support/poller-fixtures.js';

// One test starts the CLI as a child process: seconds on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

const CUSTOMERS = ['1201', '1202'];
const EVENTS_EACH = 2;

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let dynamo: DynamoDBClient;
let tableName: string;
let workingDirectory: string;

/** A real table and a real bus, the Capillary URL (and so its credentials' use) forgotten. */
const forgotten = (): Record<string, string> => ({
  TABLE_NAME: tableName,
  DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
  EVENT_BUS_NAME: TEST_BUS,
  EVENTBRIDGE_ENDPOINT: eventBridge.url,
  CAPILLARY_USERNAME: 'till',
  CAPILLARY_PASSWORD: 'url-forgotten-pw',
  LOG_LEVEL: 'SILENT',
});

const tableItems = async () =>
  (await dynamo.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [];

beforeAll(async () => {
  [capillary, eventBridge] = await Promise.all([
    CapillaryDouble.start(),
    EventBridgeDouble.start(),
  ]);
  capillary.setAuth({ kind: 'basic', username: 'till', password: 'url-forgotten-pw' });
  for (const id of CUSTOMERS) capillary.setEvents(id, rawEvents(id, 1, EVENTS_EACH));
  dynamo = dynamoDbLocalClient();
  tableName = await createTestTable(dynamo, 'fault-url-forgotten');
  workingDirectory = await mkdtemp(path.join(os.tmpdir(), 'capillary-url-forgotten-'));
  const added = await runCliInProcess(['watch', 'add', ...CUSTOMERS, '--backfill'], forgotten());
  expect(added.code, added.stderr).toBe(0);
});

afterAll(async () => {
  await Promise.all([capillary?.close(), eventBridge?.close()]);
  await closeSharedDispatcher();
  dynamo?.destroy();
  if (workingDirectory) await rm(workingDirectory, { recursive: true, force: true });
});

describe('fault: a real table with CAPILLARY_BASE_URL forgotten', () => {
  it('poll is refused with exit 2 naming CAPILLARY_BASE_URL; the table is untouched, nothing published', async () => {
    const before = await tableItems();
    for (const argv of [['poll', '--once'], ['poll']]) {
      const run = await runCliInProcess(argv, forgotten());
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^CAPILLARY_BASE_URL: is required because TABLE_NAME/m);
      expect(run.stderr).toContain('built-in sandbox');
      expect(run.stdout).toBe('');
    }
    const after = await tableItems();
    expect(after).toEqual(before);
    expect(JSON.stringify(after)).not.toContain(SANDBOX_CUSTOMER_ID);
    expect(eventBridge.requests).toHaveLength(0);
    expect(capillary.eventRequests()).toHaveLength(0);
  });

  it('once the URL is set, every real event is published exactly once and no sandbox event at all', async () => {
    const run = await runCliInProcess(['poll', '--once'], {
      ...forgotten(),
      CAPILLARY_BASE_URL: capillary.url.toString(),
    });
    expect(run.code, run.stderr).toBe(0);
    const counts = new Map<string, number>();
    for (const entry of eventBridge.accepted) {
      counts.set(eventKeyOf(entry), (counts.get(eventKeyOf(entry)) ?? 0) + 1);
    }
    expect(counts.size).toBe(CUSTOMERS.length * EVENTS_EACH);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    const customers = new Set(eventBridge.accepted.map((entry) => detailOf(entry).customerId));
    expect(customers).toEqual(new Set(CUSTOMERS));
  });
});

describe('fault: a real Capillary with the embedded table', () => {
  it('poll and watch add are refused with exit 2 naming TABLE_NAME (and the bus); nothing is written under .data/', async () => {
    const real = {
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: 'till',
      CAPILLARY_PASSWORD: 'url-forgotten-pw',
    };
    const requestsBefore = capillary.eventRequests().length;
    const [poll, add] = await Promise.all([
      runCliProcess(['poll', '--once'], { cwd: workingDirectory, env: real }),
      runCliProcess(['watch', 'add', '1299'], { cwd: workingDirectory, env: real }),
    ]);
    expect(poll.code, shown(poll)).toBe(2);
    expect(poll.stderr).toMatch(
      /^TABLE_NAME, EVENT_BUS_NAME: are required because CAPILLARY_BASE_URL is set/m,
    );
    expect(add.code, shown(add)).toBe(2);
    expect(add.stderr).toMatch(/^TABLE_NAME: is required because CAPILLARY_BASE_URL is set/m);
    expect(poll.stdout + add.stdout).toBe('');
    expect(existsSync(path.join(workingDirectory, '.data'))).toBe(false);
    expect(capillary.eventRequests()).toHaveLength(requestsBefore);
  });
});
