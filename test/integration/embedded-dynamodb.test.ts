import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createCursorTable } from '../../src/adapters/dynamodb/create-cursor-table.js';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import {
  openEmbeddedDynamoDb,
  startEmbeddedDynamoDb,
} from '../../src/adapters/dynamodb/embedded-dynamodb.js';
import type { CustomerState } from '../../src/domain/customer-state.js';
import { seenEntry } from '../../src/domain/detect/seen-digest.js';
import { PollerError } from '../../src/domain/errors.js';

/** Where other processes find the instance serving `directory`: `.data/dynalite.endpoint.json`. */
const announcementPath = (directory: string) => `${path.resolve(directory)}.endpoint.json`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'embedded-dynamodb-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

async function start(directory: string) {
  const embedded = await startEmbeddedDynamoDb({ directory });
  const client = new DynamoDBClient({
    endpoint: embedded.endpoint.href,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  cleanups.push(() => embedded.close());
  cleanups.push(async () => client.destroy());
  return { embedded, client };
}

const state: CustomerState = {
  customerId: '31337',
  scope: 'default',
  mode: 'tracking',
  status: 'active',
  lastSeenId: 'e2',
  lastSeenDate: '2025-03-01T10:00:00Z',
  windowDigest: null,
  seen: [seenEntry('e1', 1_740_000_000_000), seenEntry('e2', 1_740_823_200_000)],
  seenFloor: null,
  version: 3,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-03-01T10:00:05.000Z',
};

describe('embedded DynamoDB (dynalite)', () => {
  it('serves on a loopback address with an ephemeral port', async () => {
    const { embedded } = await start(await tempDirectory());
    expect(embedded.endpoint.hostname).toBe('127.0.0.1');
    expect(Number(embedded.endpoint.port)).toBeGreaterThan(0);
  });

  it('runs the cursor store, and keeps its data across a close and restart', async () => {
    const directory = await tempDirectory();
    const tableName = 'capillary-event-poller';

    const first = await start(directory);
    expect(await createCursorTable(first.client, tableName)).toBe('created');
    const store = new DynamoDbCursorStore({ client: first.client, tableName, scanPageLimit: 1 });
    expect(await store.addCustomer({ ...state, version: 2 })).toBe(true);
    // An empty seen set is an empty binary, which dynalite stores as DynamoDB does.
    const empty = { ...state, customerId: '2', seen: [] };
    expect(await store.addCustomer(empty)).toBe(true);
    expect(await store.getCustomer('2')).toEqual(empty);
    expect(await store.addCustomer(state)).toBe(false);
    expect(await store.saveState(state, 2)).toBe('saved');
    expect(await store.saveState({ ...state, version: 9 }, 2)).toBe('conflict');
    expect(await store.removeCustomer('2')).toBe(true);
    await first.embedded.close();

    const second = await start(directory);
    expect(second.embedded.endpoint.port).not.toBe('');
    expect(await createCursorTable(second.client, tableName)).toBe('exists');
    const reopened = new DynamoDbCursorStore({ client: second.client, tableName });
    expect(await reopened.getCustomer(state.customerId)).toEqual(state);
    expect(await reopened.getCustomer('2')).toBeUndefined();
    const listed = [];
    for await (const entry of reopened.listWatched()) listed.push(entry);
    const { seen: _seen, seenFloor: _floor, ...watch } = state;
    expect(listed).toEqual([
      {
        kind: 'ok',
        watch,
        identifierKnown: false,
        schedule: expect.objectContaining({ status: 'active' }),
      },
    ]);
  });

  it('says how to start afresh when a table made by an older version lacks the due index', async () => {
    const { client } = await start(await tempDirectory());
    await client.send(
      new CreateTableCommand({
        TableName: 'before-schedules',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'customerId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
      }),
    );
    await expect(createCursorTable(client, 'before-schedules')).rejects.toThrow(
      /dynalite.*cannot add an index.*delete \.data\/dynalite/,
    );
  });

  it('refuses, with a typed error, a directory another instance holds', async () => {
    const directory = await tempDirectory();
    await start(directory);

    await expect(startEmbeddedDynamoDb({ directory })).rejects.toBeInstanceOf(PollerError);
    await expect(startEmbeddedDynamoDb({ directory })).rejects.toMatchObject({
      name: 'EmbeddedDynamoDbLockedError',
    });
    await expect(startEmbeddedDynamoDb({ directory })).rejects.toThrow(/cannot open .*lock/i);
  });
});

describe('the embedded DynamoDB shared between processes', () => {
  it('is announced by the process serving it, joined by the others, and withdrawn on close', async () => {
    const directory = path.join(await tempDirectory(), 'dynalite');
    const served = await openEmbeddedDynamoDb({ directory, announce: true });
    cleanups.push(() => served.close());
    expect(served.origin).toBe('started');
    const announcement = JSON.parse(await readFile(announcementPath(directory), 'utf8'));
    expect(announcement).toEqual({
      endpoint: served.endpoint.href,
      pid: process.pid,
      directory: path.resolve(directory),
    });

    const joined = await openEmbeddedDynamoDb({ directory, announce: false, lockWaitMs: 0 });
    expect(joined.origin).toBe('joined');
    expect(joined.endpoint.href).toBe(served.endpoint.href);
    await joined.close();

    await served.close();
    await expect(readFile(announcementPath(directory))).rejects.toThrow();
  });

  it('ignores a stale announcement and starts its own', async () => {
    const directory = path.join(await tempDirectory(), 'dynalite');
    await mkdir(path.dirname(announcementPath(directory)), { recursive: true });
    await writeFile(
      announcementPath(directory),
      JSON.stringify({ endpoint: 'http://127.0.0.1:9/', pid: process.pid, directory }),
    );
    const opened = await openEmbeddedDynamoDb({ directory, announce: false, lockWaitMs: 0 });
    cleanups.push(() => opened.close());
    expect(opened.origin).toBe('started');
    expect(opened.endpoint.href).not.toBe('http://127.0.0.1:9/');
  });
});
