// The change feed's items in the cursor table, on DynamoDB Local: the identifier index (keyed
// hashes only), the feed cursor, and hints that make a watched customer due now.
import { randomBytes } from 'node:crypto';
import {
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbFeedStore } from '../../src/adapters/dynamodb/dynamodb-feed-store.js';
import { DynamoDbIdentifierIndex } from '../../src/adapters/dynamodb/identifier-index.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import { feedRecordKey, initialFeedCursor } from '../../src/domain/feed/feed-cursor.js';
import { dynamoDbLocalClient, freshCursorStore } from '../support/dynamodb-local.js';

const client = dynamoDbLocalClient();
const T = 1_800_000_000_000;
const MOBILE = '918088369835';
const EMAIL = 'Ana.Silva@Example.com';

describe('the identifier index', () => {
  let tableName: string;
  beforeAll(async () => {
    ({ tableName } = await freshCursorStore(client, 'identifier-index'));
  });

  it('resolves what it learned, an email whatever its case, and stores no identifier in clear', async () => {
    const hashKey = randomBytes(32);
    const index = new DynamoDbIdentifierIndex({ client, tableName, hashKey, now: () => T });
    await index.learn([
      { customerId: '564590100', identifier: MOBILE },
      { customerId: '564590101', identifier: EMAIL },
    ]);
    const resolved = await index.resolve([MOBILE, 'ana.silva@example.com ', '910000000000']);
    expect(Object.fromEntries(resolved)).toEqual({
      [MOBILE]: '564590100',
      'ana.silva@example.com ': '564590101',
    });

    const { Items = [] } = await client.send(new ScanCommand({ TableName: tableName }));
    const raw = JSON.stringify(Items);
    expect(Items).toHaveLength(2);
    for (const secret of [MOBILE, '8088369835', 'ana.silva', 'Ana.Silva', 'example.com']) {
      expect(raw).not.toContain(secret);
    }
    for (const item of Items) expect(item.customerId?.S).toMatch(/^ident#[0-9a-f]{64}$/);
  });

  it('another deployment key finds nothing: the hashes are keyed', async () => {
    const learner = new DynamoDbIdentifierIndex({ client, tableName, hashKey: randomBytes(32) });
    await learner.learn([{ customerId: '564590102', identifier: '917000000000' }]);
    const other = new DynamoDbIdentifierIndex({ client, tableName, hashKey: randomBytes(32) });
    expect((await other.resolve(['917000000000'])).size).toBe(0);
  });

  it('ties a value to the newest customer it was learned for, and resolves more than 100 at once', async () => {
    const index = new DynamoDbIdentifierIndex({ client, tableName, hashKey: randomBytes(32) });
    await index.learn([{ customerId: '1', identifier: 'x' }]);
    await index.learn([{ customerId: '2', identifier: 'x' }]);
    expect((await index.resolve(['x'])).get('x')).toBe('2');
    const many = Array.from({ length: 130 }, (_, i) => ({
      customerId: String(1000 + i),
      identifier: `id-${i}`,
    }));
    await index.learn(many);
    const resolved = await index.resolve(many.map((pair) => pair.identifier));
    expect(resolved.size).toBe(130);
    expect(resolved.get('id-129')).toBe('1129');
  });

  it('refuses a short key', () => {
    expect(
      () => new DynamoDbIdentifierIndex({ client, tableName, hashKey: Buffer.alloc(16) }),
    ).toThrow(/32 bytes/);
  });
});

describe('the feed cursor item', () => {
  it('is saved and loaded, one writer at a time', async () => {
    const { tableName } = await freshCursorStore(client, 'feed-cursor');
    const feed = new DynamoDbFeedStore({ client, tableName });
    expect(await feed.loadFeedCursor()).toBeUndefined();
    const first = {
      ...initialFeedCursor(T, 3_600_000),
      recent: [[feedRecordKey('a'), T - 1] as [string, number]],
    };
    expect(await feed.saveFeedCursor(first)).toBe('saved');
    // A second feed that started from nothing too loses.
    expect(await feed.saveFeedCursor(initialFeedCursor(T, 0))).toBe('conflict');
    const loaded = await feed.loadFeedCursor();
    expect(loaded).toEqual({ ...first, version: 1 });
    if (loaded === undefined) throw new Error('no cursor');
    expect(await feed.saveFeedCursor({ ...loaded, readTo: T })).toBe('saved');
    expect(await feed.saveFeedCursor({ ...loaded, readTo: T + 1 })).toBe('conflict');
  });

  it('packs the overlap into 14 bytes a record, and reads a cursor of the list layout as digests', async () => {
    const { tableName } = await freshCursorStore(client, 'feed-cursor-packed');
    const feed = new DynamoDbFeedStore({ client, tableName });
    const ids = Array.from(
      { length: 100 },
      (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    );
    const recent = ids.map((id, index): [string, number] => [feedRecordKey(id), T - index]);
    expect(await feed.saveFeedCursor({ readTo: T, recent, version: 0 })).toBe('saved');
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { customerId: { S: 'feed#cursor' } } }),
    );
    expect(Item?.recent?.B?.byteLength).toBe(100 * 14);
    expect(await feed.loadFeedCursor()).toEqual({ readTo: T, recent, version: 1 });
    // Written before: [record id, startTime] lists. Read as the digests the feed compares.
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({
          customerId: 'feed#cursor',
          readTo: T,
          recent: ids.map((id, index) => [id, T - index]),
          version: 7,
        }),
      }),
    );
    expect(await feed.loadFeedCursor()).toEqual({ readTo: T, recent, version: 7 });
    // A cut blob is refused with a reason, never read as an empty overlap.
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: marshall({
          customerId: 'feed#cursor',
          readTo: T,
          recent: new Uint8Array(15),
          version: 8,
        }),
      }),
    );
    await expect(feed.loadFeedCursor()).rejects.toThrow(/feed#cursor item cannot be read/);
  });
});

describe('a hint', () => {
  /** A watched customer, polled at `lastPolledAt`, next due at `nextPollAt`. */
  async function watched(customerId: string, nextPollAt: number, lastPolledAt: number | null) {
    const { tableName, store } = await freshCursorStore(client, `hint-${customerId}`);
    await store.addCustomer(
      newCustomerState({ customerId, scope: 'default', backfill: false }, new Date(T - 86_400_000)),
    );
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ customerId: `schedule#${customerId}` }),
        UpdateExpression: 'SET nextPollAt = :next, lastPolledAt = :last',
        ExpressionAttributeValues: marshall({ ':next': nextPollAt, ':last': lastPolledAt }),
      }),
    );
    return { store, feed: new DynamoDbFeedStore({ client, tableName }) };
  }

  async function dueIds(store: Awaited<ReturnType<typeof watched>>['store'], now: number) {
    const ids: string[] = [];
    for await (const due of store.dueCustomers(now)) ids.push(due.customerId);
    return ids;
  }

  it('makes a customer polled before the record due now; a burst of hints is one write', async () => {
    const { store, feed } = await watched('700', T + 3_600_000, T - 600_000);
    expect(await dueIds(store, T)).toEqual([]);
    expect(await feed.markHinted('700', T - 5_000)).toBe('due-now');
    expect(await feed.markHinted('700', T - 4_000)).toBe('dropped');
    expect(await feed.markHinted('700', T - 3_000)).toBe('dropped');
    expect(await dueIds(store, T)).toEqual(['700']);
  });

  it('puts a hinted customer before customers the schedule made due long ago, oldest hint first', async () => {
    const { tableName, store } = await freshCursorStore(client, 'hint-lane');
    const feed = new DynamoDbFeedStore({ client, tableName });
    const add = async (customerId: string, nextPollAt: number, lastPolledAt: number) => {
      await store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: false }, new Date(T - 9e7)),
      );
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: marshall({ customerId: `schedule#${customerId}` }),
          UpdateExpression: 'SET nextPollAt = :next, lastPolledAt = :last',
          ExpressionAttributeValues: marshall({ ':next': nextPollAt, ':last': lastPolledAt }),
        }),
      );
    };
    await add('704', T + 3_600_000, T - 600_000);
    await add('705', T - 86_400_000, T - 90_000_000);
    await add('706', T - 60_000, T - 3_700_000);
    expect(await dueIds(store, T)).toEqual(['705', '706']);
    expect(await feed.markHinted('704', T - 5_000)).toBe('due-now');
    // Due by schedule already, but behind a day-old backlog: the hint moves it up too.
    expect(await feed.markHinted('706', T - 10_000)).toBe('due-now');
    expect(await dueIds(store, T)).toEqual(['706', '704', '705']);
    // Due whatever the clock says: the lane is below every time.
    expect(await dueIds(store, T - 2 * 86_400_000)).toEqual(['706', '704']);
  });

  it('is dropped for a customer polled after the record, and for one never seen', async () => {
    const { store, feed } = await watched('701', T + 3_600_000, T - 1_000);
    expect(await feed.markHinted('701', T - 5_000)).toBe('dropped');
    expect(await dueIds(store, T)).toEqual([]);
    expect(await feed.markHinted('999', T - 5_000)).toBe('dropped');
  });

  it('makes a customer never polled yet due', async () => {
    const { store, feed } = await watched('702', T + 3_600_000, null);
    expect(await feed.markHinted('702', T - 5_000)).toBe('due-now');
    expect(await dueIds(store, T)).toEqual(['702']);
  });

  it('leaves a paused customer paused', async () => {
    const { store, feed } = await watched('703', T + 3_600_000, T - 600_000);
    await store.setStatus('703', 'paused', T);
    expect(await feed.markHinted('703', T - 5_000)).toBe('dropped');
    expect(await dueIds(store, T + 7_200_000)).toEqual([]);
  });

  it('tells the lookup who is watched: active or paused, not one never added', async () => {
    const { store, feed } = await watched('704', T + 3_600_000, null);
    expect(await feed.isWatched('704')).toBe(true);
    await store.setStatus('704', 'paused', T);
    expect(await feed.isWatched('704')).toBe(true);
    expect(await feed.isWatched('999')).toBe(false);
    await store.removeCustomer('704');
    expect(await feed.isWatched('704')).toBe(false);
  });
});
