import { createHash, randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCursorTable } from '../../src/adapters/dynamodb/create-cursor-table.js';
import { cursorKey, encodeCursorItem } from '../../src/adapters/dynamodb/cursor-item.js';
import {
  CursorStoreError,
  UnreadableCustomerError,
} from '../../src/adapters/dynamodb/cursor-store-errors.js';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { dynamoItemSize } from '../../src/adapters/dynamodb/dynamodb-item-size.js';
import { type CapillaryEvent, CapillaryEventSchema } from '../../src/domain/capillary-event.js';
import {
  type CustomerState,
  newCustomerState,
  type WatchEntry,
} from '../../src/domain/customer-state.js';
import { cursorItemBytes } from '../../src/domain/detect/cursor-budget.js';
import {
  advanceCursor,
  detectNewEvents,
  keyWindow,
} from '../../src/domain/detect/detect-new-events.js';
import {
  fingerprintOf,
  MAX_SEEN_AT,
  seenDigest,
  seenEntry,
  seenLookup,
} from '../../src/domain/detect/seen-digest.js';
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
    seenEntry('evt-1', 1_735_689_600_000),
    seenEntry('sha256:ab12', 1_735_776_000_000),
    seenEntry('evt-3', 1_735_862_400_000),
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

  it('stores the documented item layout: native attributes, the seen set as one packed binary', async () => {
    const { store, tableName } = await freshStore('layout');
    await store.addCustomer(tracked);
    await store.addCustomer(customer('7'));

    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { customerId: { S: tracked.customerId } } }),
    );
    expect(Item).toEqual(encodeCursorItem(tracked));
    expect(Object.keys(Item ?? {})).not.toContain('seenIds');
    // 14 bytes an entry: 8 of the key's SHA-256, then the date as 6 signed big-endian bytes.
    const packed = Buffer.from(Item?.seen?.B ?? []);
    expect(packed).toHaveLength(3 * 14);
    const sha256 = (key: string) => createHash('sha256').update(key).digest().subarray(0, 8);
    expect(packed.subarray(0, 8)).toEqual(sha256('evt-1'));
    expect(packed.readIntBE(8, 6)).toBe(1_735_689_600_000);
    expect(packed.subarray(14, 22)).toEqual(sha256('sha256:ab12'));
    expect(packed.subarray(28, 36)).toEqual(sha256('evt-3'));
    expect(packed.readIntBE(36, 6)).toBe(1_735_862_400_000);
    expect(Item?.version).toEqual({ N: '7' });
    expect(Item?.scope).toEqual({ S: 'child' });

    const empty = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { customerId: { S: '7' } } }),
    );
    expect(empty.Item?.lastSeenId).toEqual({ NULL: true });
    expect(empty.Item?.seenFloor).toEqual({ NULL: true });
    expect(empty.Item?.seen?.B).toHaveLength(0);
    expect(await store.getCustomer('7')).toEqual(customer('7'));
  });

  it('round-trips a full seen set of 200 entries, 14 bytes each: about 3 KB', async () => {
    const { store, tableName } = await freshStore('full');
    const start = Date.parse('2025-05-08T00:00:00Z');
    const full = customer('5645901001', {
      mode: 'tracking',
      lastSeenId: randomUUID(),
      lastSeenDate: new Date(start + 199 * 60_000).toISOString(),
      seen: Array.from({ length: 200 }, (_, index) =>
        seenEntry(randomUUID(), start + index * 60_000 + index),
      ),
      seenFloor: start - 1,
      windowDigest: 'kGz0b1Hk3bXq1m9v1Fq2Aw',
      version: 1234,
    });
    await store.addCustomer(full);
    expect(await store.getCustomer(full.customerId)).toEqual(full);

    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: cursorKey(full.customerId) }),
    );
    const billed = dynamoItemSize(Item ?? {});
    expect(billed).toBe(cursorItemBytes(full));
    expect(billed - cursorItemBytes({ ...full, seen: [] })).toBe(200 * 14);
    // The lists layout took about 10 KB (10 write units) for the same seen set.
    expect(billed).toBeLessThan(3_100);
  });

  it('reads items of the lists layout as digests, and the next save writes the packed layout', async () => {
    const { store, tableName } = await freshStore('old-layout');
    const longKey = `evt-long-`.padEnd(1_000, 'x');
    // Literal items as earlier versions wrote them: every table in use holds these. The long key
    // is kept as its fingerprint, as a cursor over its byte budget kept it.
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
    const oldLong: Record<string, AttributeValue> = {
      ...oldTracked,
      customerId: { S: '43' },
      seenIds: { L: [{ S: fingerprintOf(longKey) }] },
      seenAt: { L: [{ N: '8640000000000000' }] },
    };
    for (const Item of [oldTracked, oldFresh, oldLong]) {
      await client.send(new PutItemCommand({ TableName: tableName, Item }));
    }
    expect(await store.getCustomer(tracked.customerId)).toEqual(tracked);
    expect(await store.getCustomer('42')).toEqual(customer('42'));
    // A fingerprint stands for its key (and for itself, were it a key); a date past what the
    // packed layout keeps is its bound.
    const long = await store.getCustomer('43');
    const fingerprint = fingerprintOf(longKey);
    expect(long?.seen).toEqual([
      { digest: seenDigest(longKey), at: MAX_SEEN_AT },
      { digest: seenDigest(fingerprint), at: MAX_SEEN_AT },
    ]);
    expect(seenLookup(long?.seen ?? [])(longKey)).toBe(true);

    // Saved by this version, read back raw: the packed layout, the lists gone.
    const next = { ...tracked, seen: [...tracked.seen, seenEntry('evt-4', 1)], version: 8 };
    expect(await store.saveState(next, 7)).toBe('saved');
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { customerId: { S: tracked.customerId } } }),
    );
    expect(Item).toEqual(encodeCursorItem(next));
    expect(Object.keys(Item ?? {}).sort()).toEqual(Object.keys(encodeCursorItem(next)).sort());
    expect(Item?.seenIds).toBeUndefined();
    expect(await store.getCustomer(tracked.customerId)).toEqual(next);
  });

  it('detects across a save and a load: seen events skipped, new ones emitted, from either layout', async () => {
    const { store, tableName } = await freshStore('detect');
    const event = (uniqueId: string, minute: number) =>
      CapillaryEventSchema.parse({
        uniqueId,
        eventName: 'E',
        date: new Date(Date.parse('2025-01-01T00:00:00Z') + minute * 60_000).toISOString(),
      });
    const longKey = `evt-long-`.padEnd(1_000, 'x');
    const known = [event('evt-1', 1), event(longKey, 2), event('evt-3', 3)];
    // Written by an earlier version: keys and a fingerprint in two lists.
    const before = customer('44', { mode: 'tracking', version: 3 });
    const { seen: _packed, ...attributes } = encodeCursorItem(before);
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          ...attributes,
          seenIds: { L: [{ S: 'evt-1' }, { S: fingerprintOf(longKey) }, { S: 'evt-3' }] },
          seenAt: { L: known.map((seen) => ({ N: String(Date.parse(seen.date)) })) },
        },
      }),
    );

    // One poll: API order is newest first.
    const poll = async (events: CapillaryEvent[]) => {
      const state = (await store.getCustomer('44')) as CustomerState;
      const window = keyWindow([...events].reverse());
      const { fresh, belowFloor } = detectNewEvents(state, window);
      expect(belowFloor).toEqual([]);
      const next = advanceCursor(state, {
        window,
        acknowledged: fresh,
        capacity: 200,
        now: new Date(),
        windowDigest: null,
      });
      if (next) expect(await store.saveState(next, state.version)).toBe('saved');
      return fresh.map((candidate) => candidate.key);
    };
    expect(await poll([...known, event('evt-4', 4)])).toEqual(['evt-4']);
    expect(await poll([...known, event('evt-4', 4)])).toEqual([]);
    expect(await poll([...known, event('evt-4', 4), event('evt-5', 5)])).toEqual(['evt-5']);

    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: cursorKey('44') }),
    );
    // The fingerprint was read as two entries (see above): 6 in all.
    expect(Item?.seen?.B).toHaveLength(6 * 14);
    expect(Item?.seenIds).toBeUndefined();
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
      seen: [seenEntry('a', 1)],
      version: 1,
      updatedAt: '2025-02-01T00:00:00.000Z',
    });
    expect(await store.saveState(first, 0)).toBe('saved');
    expect(await store.getCustomer('5')).toEqual(first);

    // A second writer that also read version 0 loses.
    const stale = customer('5', { mode: 'tracking', seen: [seenEntry('b', 2)], version: 1 });
    expect(await store.saveState(stale, 0)).toBe('conflict');
    expect(await store.getCustomer('5')).toEqual(first);

    const second = { ...first, seen: [...first.seen, seenEntry('c', 3)], version: 2 };
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
    await put(customer('3'), { seen: { B: new Uint8Array(2 * 14 - 1) } }); // one byte short
    await put(customer('4'), { scope: { S: 'galaxy' } });
    await put(customer('5'), { seenFloor: { N: '123456789012345678901234567890' } });
    await put(customer('6'), { seen: { S: 'evt-1' } });
    // The lists layout, its lists of different lengths.
    const { seen: _packed, ...lists } = encodeCursorItem(customer('9'));
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...lists, seenIds: { L: [{ S: 'x' }] }, seenAt: { L: [] } },
      }),
    );

    const listed = await listAll(store);
    const ok = listed.flatMap((entry) => (entry.kind === 'ok' ? [entry.watch] : []));
    const unreadable = listed.flatMap((entry) => (entry.kind === 'unreadable' ? [entry] : []));
    // The watchlist index projects no seen set: items 3, 5, 6 and 9 list fine and fail when read
    // whole.
    expect(ok).toHaveLength(6);
    expect(ok).toEqual(
      expect.arrayContaining([watchOf(customer('1')), watchOf(tracked), watchOf(customer('3'))]),
    );
    expect(unreadable.map((entry) => entry.customerId).sort()).toEqual(['2', '4']);
    const reason = (id: string) => unreadable.find((entry) => entry.customerId === id)?.reason;
    expect(reason('2')).toMatch(/^version:/);
    expect(reason('4')).toMatch(/^scope:/);
    await expect(store.getCustomer('3')).rejects.toThrow(
      /customer 3 in table .* cannot be read: seen: expected a multiple of 14 bytes$/,
    );
    await expect(store.getCustomer('3')).rejects.toBeInstanceOf(UnreadableCustomerError);
    await expect(store.getCustomer('5')).rejects.toThrow(/seenFloor:/);
    await expect(store.getCustomer('6')).rejects.toThrow(/cannot be read: seen: expected binary/);
    await expect(store.getCustomer('9')).rejects.toThrow(/seenIds and seenAt differ in length/);

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
    const invalid = customer('8', { seen: [{ digest: 'not hex', at: 1.5 }] });

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
