import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCursorTable } from '../../src/adapters/dynamodb/create-cursor-table.js';
import { encodeCursorItem } from '../../src/adapters/dynamodb/cursor-item.js';
import {
  CursorStoreError,
  UnreadableCustomerError,
} from '../../src/adapters/dynamodb/cursor-store-errors.js';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import {
  type CustomerState,
  newCustomerState,
  type WatchEntry,
} from '../../src/domain/customer-state.js';
import { PollerError } from '../../src/domain/errors.js';
import { dynamoDbLocalClient, freshCursorStore } from '../support/dynamodb-local.js';

/** A customer just watched on 2025-01-02T03:04:05.000Z, with `overrides`. */
function customer(customerId: string, overrides: Partial<CustomerState> = {}): CustomerState {
  const watched = new Date('2025-01-02T03:04:05.000Z');
  return {
    ...newCustomerState({ customerId, scope: 'default', backfill: false }, watched),
    ...overrides,
  };
}

const tracked = customer('1234567890123456789', {
  scope: 'child',
  mode: 'tracking',
  status: 'paused',
  lastSeenId: 'evt-3',
  lastSeenDate: '2025-01-03T00:00:00Z',
  seen: [
    { id: 'evt-1', at: 1_735_689_600_000 },
    { id: 'sha256:ab12', at: 1_735_776_000_000 },
    { id: 'evt-3', at: 1_735_862_400_000 },
  ],
  seenFloor: 1_735_603_200_000,
  windowDigest: 'kGz0b1Hk3bXq1m9v1Fq2Aw',
  version: 7,
});

/** What the watchlist index shows of a state: everything but the seen set. */
function watchOf({ seen: _seen, seenFloor: _floor, ...watch }: CustomerState) {
  return watch;
}

type Listed =
  | { kind: 'ok'; watch: WatchEntry }
  | { kind: 'unreadable'; customerId: string; reason: string };

/** `watch list`'s entries, without their schedules. */
async function listAll(store: DynamoDbCursorStore): Promise<Listed[]> {
  const all: Listed[] = [];
  for await (const entry of store.listWatched()) {
    all.push(entry.kind === 'ok' ? { kind: 'ok', watch: entry.watch } : entry);
  }
  return all;
}

let client: DynamoDBClient;

beforeAll(() => {
  client = dynamoDbLocalClient();
});
afterAll(() => client.destroy());

const freshStore = (label: string, scanPageLimit?: number) =>
  freshCursorStore(client, label, { scanPageLimit });

describe('DynamoDbCursorStore against DynamoDB Local', () => {
  it('adds, gets, lists and removes a full customer state unchanged', async () => {
    const { store } = await freshStore('roundtrip');
    const fresh = customer('42');

    expect(await store.addCustomer(tracked)).toBe(true);
    expect(await store.addCustomer(fresh)).toBe(true);

    expect(await store.getCustomer(tracked.customerId)).toEqual(tracked);
    expect(await store.getCustomer('42')).toEqual(fresh);
    expect(await store.getCustomer('999')).toBeUndefined();

    const listed = await listAll(store);
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(
      expect.arrayContaining([
        { kind: 'ok', watch: watchOf(tracked) },
        { kind: 'ok', watch: watchOf(fresh) },
      ]),
    );

    expect(await store.removeCustomer('42')).toBe(true);
    expect(await store.getCustomer('42')).toBeUndefined();
    expect(await store.removeCustomer('42')).toBe(false);
    expect(await listAll(store)).toEqual([{ kind: 'ok', watch: watchOf(tracked) }]);
  });

  it('stores the documented item layout: native attributes, seen as two parallel lists', async () => {
    const { store, tableName } = await freshStore('layout');
    await store.addCustomer(tracked);
    await store.addCustomer(customer('7'));

    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { customerId: { S: tracked.customerId } } }),
    );
    expect(Item).toEqual(encodeCursorItem(tracked));
    expect(Item?.seenIds).toEqual({ L: [{ S: 'evt-1' }, { S: 'sha256:ab12' }, { S: 'evt-3' }] });
    expect(Item?.seenAt).toEqual({
      L: [{ N: '1735689600000' }, { N: '1735776000000' }, { N: '1735862400000' }],
    });
    expect(Item?.version).toEqual({ N: '7' });
    expect(Item?.scope).toEqual({ S: 'child' });

    const empty = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { customerId: { S: '7' } } }),
    );
    expect(empty.Item?.lastSeenId).toEqual({ NULL: true });
    expect(empty.Item?.seenFloor).toEqual({ NULL: true });
    expect(empty.Item?.seenIds).toEqual({ L: [] });
  });

  it('reads and writes, byte for byte, the layout the hand-written encoder stored before marshall', async () => {
    const { store, tableName } = await freshStore('old-layout');
    // Literal items as 0.x wrote them: every table in use holds these.
    const oldTracked: Record<string, AttributeValue> = {
      customerId: { S: '1234567890123456789' },
      scope: { S: 'child' },
      mode: { S: 'tracking' },
      status: { S: 'paused' },
      seenIds: { L: [{ S: 'evt-1' }, { S: 'sha256:ab12' }, { S: 'evt-3' }] },
      lastSeenId: { S: 'evt-3' },
      lastSeenDate: { S: '2025-01-03T00:00:00Z' },
      seenFloor: { N: '1735603200000' },
      windowDigest: { S: 'kGz0b1Hk3bXq1m9v1Fq2Aw' },
      seenAt: { L: [{ N: '1735689600000' }, { N: '1735776000000' }, { N: '1735862400000' }] },
      version: { N: '7' },
      createdAt: { S: '2025-01-02T03:04:05.000Z' },
      updatedAt: { S: '2025-01-02T03:04:05.000Z' },
    };
    const nulls = ['lastSeenId', 'lastSeenDate', 'seenFloor', 'windowDigest'];
    const oldFresh: Record<string, AttributeValue> = {
      ...oldTracked,
      customerId: { S: '42' },
      scope: { S: 'default' },
      mode: { S: 'baseline' },
      status: { S: 'active' },
      ...Object.fromEntries(nulls.map((name) => [name, { NULL: true }])),
      seenIds: { L: [] },
      seenAt: { L: [] },
      version: { N: '0' },
    };
    expect(encodeCursorItem(tracked)).toEqual(oldTracked);
    expect(encodeCursorItem(customer('42'))).toEqual(oldFresh);

    for (const Item of [oldTracked, oldFresh]) {
      await client.send(new PutItemCommand({ TableName: tableName, Item }));
    }
    expect(await store.getCustomer(tracked.customerId)).toEqual(tracked);
    expect(await store.getCustomer('42')).toEqual(customer('42'));

    // Saved by the new code, read back raw: the old layout again.
    const next = { ...tracked, seen: [...tracked.seen, { id: 'evt-4', at: 1 }], version: 8 };
    expect(await store.saveState(next, 7)).toBe('saved');
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { customerId: { S: tracked.customerId } } }),
    );
    expect(Item).toEqual({
      ...oldTracked,
      seenIds: { L: [...(oldTracked.seenIds?.L ?? []), { S: 'evt-4' }] },
      seenAt: { L: [...(oldTracked.seenAt?.L ?? []), { N: '1' }] },
      version: { N: '8' },
    });
  });

  it('lists a cursor item written before the window digest existed, as no digest', async () => {
    const { store, tableName } = await freshStore('no-digest');
    const { windowDigest: _digest, ...older } = encodeCursorItem(customer('31'));
    await client.send(new PutItemCommand({ TableName: tableName, Item: older }));

    expect(await store.getCustomer('31')).toEqual(customer('31'));
    expect(await listAll(store)).toEqual([{ kind: 'ok', watch: watchOf(customer('31')) }]);
  });

  it('does not overwrite a customer that is already watched', async () => {
    const { store } = await freshStore('add-existing');
    await store.addCustomer(tracked);

    const again = customer(tracked.customerId, { mode: 'backfill' });
    expect(await store.addCustomer(again)).toBe(false);
    expect(await store.getCustomer(tracked.customerId)).toEqual(tracked);
  });

  it('saves with the expected version and reports a conflict, writing nothing, on a stale one', async () => {
    const { store } = await freshStore('save');
    await store.addCustomer(customer('5'));

    const first = customer('5', {
      mode: 'tracking',
      seen: [{ id: 'a', at: 1 }],
      version: 1,
      updatedAt: '2025-02-01T00:00:00.000Z',
    });
    expect(await store.saveState(first, 0)).toBe('saved');
    expect(await store.getCustomer('5')).toEqual(first);

    // A second writer that also read version 0 loses.
    const stale = customer('5', { mode: 'tracking', seen: [{ id: 'b', at: 2 }], version: 1 });
    expect(await store.saveState(stale, 0)).toBe('conflict');
    expect(await store.getCustomer('5')).toEqual(first);

    const second = { ...first, seen: [...first.seen, { id: 'c', at: 3 }], version: 2 };
    expect(await store.saveState(second, 1)).toBe('saved');
    expect(await store.getCustomer('5')).toEqual(second);
  });

  it('does not bring back a removed customer when saving', async () => {
    const { store } = await freshStore('save-removed');
    await store.addCustomer(customer('6'));
    await store.removeCustomer('6');

    expect(await store.saveState(customer('6', { version: 1 }), 0)).toBe('conflict');
    expect(await store.getCustomer('6')).toBeUndefined();
  });

  it('pages through a table larger than one Scan page, returning each customer once', async () => {
    const { store } = await freshStore('pages', 3);
    const ids = Array.from({ length: 11 }, (_, index) => String(1000 + index));
    for (const id of ids) await store.addCustomer(customer(id));

    const listed = await listAll(store);
    const listedIds = listed.map((entry) => (entry.kind === 'ok' ? entry.watch.customerId : '?'));
    expect(listedIds).toHaveLength(ids.length);
    expect([...listedIds].sort()).toEqual(ids);
  });

  it('leaves items that are not customers (the shared quota item) out of the watchlist', async () => {
    const { store, tableName } = await freshStore('not-customers', 2);
    await store.addCustomer(customer('1'));
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { customerId: { S: 'quota#capillary' }, tat: { N: '1' }, version: { N: '1' } },
      }),
    );
    expect(await listAll(store)).toEqual([{ kind: 'ok', watch: watchOf(customer('1')) }]);
  });

  it('reports unreadable items and still lists the others', async () => {
    const { store, tableName } = await freshStore('corrupt', 2);
    await store.addCustomer(customer('1'));
    await store.addCustomer(tracked);
    const put = (item: CustomerState, patch: Record<string, AttributeValue>) =>
      client.send(
        new PutItemCommand({ TableName: tableName, Item: { ...encodeCursorItem(item), ...patch } }),
      );
    await put(customer('2'), { version: { S: 'seven' } });
    await put(customer('3'), { seenIds: { L: [{ S: 'x' }] } }); // seenAt stays empty
    await put(customer('4'), { scope: { S: 'galaxy' } });
    await put(customer('5'), { seenFloor: { N: '123456789012345678901234567890' } });

    const listed = await listAll(store);
    const ok = listed.flatMap((entry) => (entry.kind === 'ok' ? [entry.watch] : []));
    const unreadable = listed.flatMap((entry) => (entry.kind === 'unreadable' ? [entry] : []));
    // The watchlist index projects no seen set: items 3 and 5 list fine and fail when read whole.
    expect(ok).toHaveLength(4);
    expect(ok).toEqual(
      expect.arrayContaining([watchOf(customer('1')), watchOf(tracked), watchOf(customer('3'))]),
    );
    expect(unreadable.map((entry) => entry.customerId).sort()).toEqual(['2', '4']);
    const reason = (id: string) => unreadable.find((entry) => entry.customerId === id)?.reason;
    expect(reason('2')).toMatch(/^version:/);
    expect(reason('4')).toMatch(/^scope:/);
    await expect(store.getCustomer('3')).rejects.toThrow(/seenIds and seenAt differ in length/);
    await expect(store.getCustomer('5')).rejects.toThrow(/seenFloor:/);

    // Read directly, the same item is a typed error naming customer and table.
    const error = await store.getCustomer('2').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnreadableCustomerError);
    expect(error).toBeInstanceOf(PollerError);
    expect((error as Error).message).toContain(`customer 2 in table ${tableName}`);
  });

  it('throws a typed error naming customer and table when DynamoDB fails', async () => {
    const store = new DynamoDbCursorStore({ client, tableName: 'no-such-table-here' });

    const error = await store.saveState(customer('77', { version: 1 }), 0).catch((e) => e);
    expect(error).toBeInstanceOf(CursorStoreError);
    expect(error).toBeInstanceOf(PollerError);
    expect(error.message).toMatch(/customer 77 on table no-such-table-here/);
    expect(error.message).toMatch(/ResourceNotFoundException/);
    expect(error.reason).toMatch(/init/);

    await expect(listAll(store)).rejects.toThrow(/Scan on table no-such-table-here/);
    await expect(store.getCustomer('77')).rejects.toBeInstanceOf(CursorStoreError);
  });

  it('refuses to write a state it could not read back', async () => {
    const { store } = await freshStore('invalid-write');
    const invalid = customer('8', { seen: [{ id: '', at: 1.5 }] });

    await expect(store.addCustomer(invalid)).rejects.toThrow(/refused to write an invalid state/);
    expect(await store.getCustomer('8')).toBeUndefined();
  });
});

describe('createCursorTable', () => {
  it('creates the table once, then reports that it exists', async () => {
    const tableName = `test-create-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    expect(await createCursorTable(client, tableName)).toBe('created');
    expect(await createCursorTable(client, tableName)).toBe('exists');

    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'customerId', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

    // The table is usable straight away.
    const store = new DynamoDbCursorStore({ client, tableName });
    expect(await store.addCustomer(customer('9'))).toBe(true);
  });
});
