// Schedule items, the due index and claims against DynamoDB Local: what the fleet's fairness and
// "no customer polled by two pollers at once" rest on.

import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCursorTable } from '../../src/adapters/dynamodb/create-cursor-table.js';
import { encodeCursorItem } from '../../src/adapters/dynamodb/cursor-item.js';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { DynamoDbFeedStore } from '../../src/adapters/dynamodb/dynamodb-feed-store.js';
import { DynamoDbIdentifierIndex } from '../../src/adapters/dynamodb/identifier-index.js';
import { claimDue } from '../../src/domain/claim/claim-due.js';
import type { ClaimedCustomer, DueCustomer } from '../../src/domain/claim/claimed-customer.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import type { BackstopOptions } from '../../src/domain/feed/feed-backstop.js';
import { isInLane, laneDueAt } from '../../src/domain/feed/priority-lane.js';
import { runSweep } from '../../src/domain/poll/run-sweep.js';
import type { SchedulePolicy } from '../../src/domain/schedule/schedule.js';
import {
  createTestTable,
  dynamoDbLocalClient,
  freshCursorStore,
} from '../support/dynamodb-local.js';
import {
  apiEvent,
  captureLogger,
  RecordingPublisher,
  ScriptedSource,
} from '../support/in-memory-ports.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const policy: SchedulePolicy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };

let client: DynamoDBClient;
beforeAll(() => {
  client = dynamoDbLocalClient();
});
afterAll(() => client.destroy());

const freshStore = (label: string, duePageLimit?: number) =>
  freshCursorStore(client, label, { duePageLimit, now: () => T0 });

async function watch(store: DynamoDbCursorStore, customerId: string, at = T0) {
  return store.addCustomer(
    newCustomerState({ customerId, scope: 'default', backfill: true }, new Date(at)),
  );
}

async function dueList(store: DynamoDbCursorStore, now: number): Promise<DueCustomer[]> {
  const due: DueCustomer[] = [];
  for await (const customer of store.dueCustomers(now)) due.push(customer);
  return due;
}

async function claimAll(
  store: DynamoDbCursorStore,
  owner: string,
  now: number,
  claimMs = 120_000,
): Promise<ClaimedCustomer[]> {
  const claims: ClaimedCustomer[] = [];
  const deps = { store, clock: () => new Date(now) };
  for await (const claimed of claimDue(deps, { owner, now, policy, claimMs })) claims.push(claimed);
  return claims;
}

describe('schedule items and the due index', () => {
  it('gives a new customer a schedule item, due at once, next to its cursor', async () => {
    const { store, tableName } = await freshStore('schedule-item');
    expect(await watch(store, '42')).toBe(true);
    const { Item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { customerId: { S: 'schedule#42' } } }),
    );
    expect(Item).toMatchObject({
      scope: { S: 'default' },
      status: { S: 'active' },
      mode: { S: 'backfill' },
      nextPollAt: { N: String(T0) },
      idlePolls: { N: '0' },
      lastPolledAt: { NULL: true },
      dueShard: { S: expect.stringMatching(/^[0-3]$/) },
    });
    expect(await dueList(store, T0)).toEqual([{ customerId: '42', nextPollAt: T0, idlePolls: 0 }]);
    expect(await dueList(store, T0 - 1)).toEqual([]);
    expect(await store.nextDueAt()).toBe(T0);
  });

  it('writes and claims schedule items in the layout the hand-written encoder stored', async () => {
    const { store, tableName } = await freshStore('schedule-layout');
    await watch(store, '42');
    const scheduleOf = async (customerId: string) =>
      (
        await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { customerId: { S: `schedule#${customerId}` } },
          }),
        )
      ).Item;
    // Literally what 0.x wrote: tables in use hold these.
    const oldLayout = {
      customerId: { S: 'schedule#42' },
      scope: { S: 'default' },
      status: { S: 'active' },
      mode: { S: 'backfill' },
      windowDigest: { NULL: true },
      nextPollAt: { N: String(T0) },
      idlePolls: { N: '0' },
      lastPolledAt: { NULL: true },
      createdAt: { N: String(T0) },
      dueShard: { S: '3' },
    };
    expect(await scheduleOf('42')).toEqual(oldLayout);

    // An old item, put as it was, is due and claimed by the new code.
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...oldLayout, customerId: { S: 'schedule#43' }, dueShard: { S: '0' } },
      }),
    );
    expect(await dueList(store, T0)).toEqual([
      { customerId: '42', nextPollAt: T0, idlePolls: 0 },
      { customerId: '43', nextPollAt: T0, idlePolls: 0 },
    ]);
    const [claimed] = await claimAll(store, 'a', T0);
    expect(claimed).toBeDefined();
    expect(
      await store.completePoll(claimed as ClaimedCustomer, {
        schedule: { nextPollAt: T0 + 1, idlePolls: 2, lastPolledAt: T0 },
        mode: 'tracking',
        windowDigest: 'abc',
        lastError: { reason: 'boom', at: T0 },
      }),
    ).toBe('completed');
    expect(await scheduleOf(claimed?.customerId ?? '')).toEqual({
      ...oldLayout,
      customerId: { S: `schedule#${claimed?.customerId}` },
      dueShard: { S: claimed?.customerId === '42' ? '3' : '0' },
      mode: { S: 'tracking' },
      windowDigest: { S: 'abc' },
      nextPollAt: { N: String(T0 + 1) },
      idlePolls: { N: '2' },
      lastPolledAt: { N: String(T0) },
      lastError: { S: 'boom' },
      lastFailedAt: { N: String(T0) },
    });
  });

  it('lists due customers most overdue first across shards, page by page', async () => {
    const { store } = await freshStore('due-order', 2);
    const ids = Array.from({ length: 20 }, (_, index) => String(700 + index));
    // Watched a minute apart, in shuffled order: the most overdue is the earliest watched.
    const shuffled = [...ids].sort(() => Math.random() - 0.5);
    for (const id of shuffled) await watch(store, id, T0 - (720 - Number(id)) * 60_000);
    const due = await dueList(store, T0);
    expect(due.map((customer) => customer.customerId)).toEqual(ids);
    // Not yet due: left out.
    expect((await dueList(store, T0 - 10 * 60_000)).map((customer) => customer.customerId)).toEqual(
      ids.slice(0, 11),
    );
  });

  it('pauses a customer out of the due index and resumes it due at once', async () => {
    const { store } = await freshStore('pause');
    await watch(store, '1');
    await watch(store, '2');
    expect(await store.setStatus('2', 'paused', T0)).toBe('paused');
    expect(await store.setStatus('2', 'paused', T0)).toBe('already paused');
    expect((await dueList(store, T0 + 1)).map((customer) => customer.customerId)).toEqual(['1']);
    // Listed by an index that has not caught up with the pause yet: not claimed.
    const stale = { customerId: '2', nextPollAt: T0, idlePolls: 0 };
    const request = { owner: 'late', now: T0 + 1, claimedUntil: T0 + 120_001 };
    const tentative = { nextPollAt: T0 + 120_001, idlePolls: 1, lastPolledAt: T0 + 1 };
    expect(await store.claim(stale, { ...request, tentative })).toBeUndefined();
    const listed = [];
    for await (const entry of store.listWatched()) listed.push(entry);
    expect(
      listed.map((entry) =>
        entry.kind === 'ok' ? [entry.watch.customerId, entry.watch.status] : [],
      ),
    ).toEqual(
      expect.arrayContaining([
        ['1', 'active'],
        ['2', 'paused'],
      ]),
    );

    expect(await store.setStatus('2', 'active', T0 + 5_000)).toBe('active');
    expect(await store.setStatus('2', 'active', T0 + 5_000)).toBe('already active');
    expect(await dueList(store, T0 + 5_000)).toContainEqual({
      customerId: '2',
      nextPollAt: T0 + 5_000,
      idlePolls: 0,
    });
    expect(await store.setStatus('3', 'paused', T0)).toBe('not watched');
  });

  it('removes the schedule item with the cursor, and repairs a missing one when the customer is added again', async () => {
    const { store, tableName } = await freshStore('remove');
    await watch(store, '5');
    expect(await store.removeCustomer('5')).toBe(true);
    expect(await store.removeCustomer('5')).toBe(false);
    expect(await dueList(store, T0)).toEqual([]);

    // A cursor without a schedule item (a crash between the two writes of an add).
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: encodeCursorItem(
          newCustomerState({ customerId: '6', scope: 'child', backfill: false }, new Date(T0)),
        ),
      }),
    );
    expect(await dueList(store, T0)).toEqual([]);
    expect(await watch(store, '6')).toBe(false);
    expect(await dueList(store, T0)).toEqual([{ customerId: '6', nextPollAt: T0, idlePolls: 0 }]);
    const [claimed] = await claimAll(store, 'a', T0);
    expect(claimed).toMatchObject({ customerId: '6', scope: 'child', mode: 'baseline' });
  });

  it('lists watched customers with their schedules, skipping items that are not customers', async () => {
    const { store, tableName } = await freshStore('list');
    await watch(store, '9');
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { customerId: { S: 'quota#capillary' }, tokens: { N: '5' } },
      }),
    );
    const listed = [];
    for await (const entry of store.listWatched()) listed.push(entry);
    expect(listed).toEqual([
      {
        kind: 'ok',
        watch: expect.objectContaining({ customerId: '9', status: 'active' }),
        identifierKnown: false,
        schedule: {
          status: 'active',
          nextPollAt: T0,
          idlePolls: 0,
          lastPolledAt: null,
          claimedUntil: null,
          lastError: null,
          lastFailedAt: null,
        },
      },
    ]);
  });
});

describe('claims', () => {
  it('respects a live claim and takes over an expired one', async () => {
    const { store } = await freshStore('claims');
    await watch(store, '11');
    const [first] = await claimAll(store, 'poller-a', T0, 60_000);
    expect(first).toMatchObject({
      customerId: '11',
      claimOwner: 'poller-a',
      claimedUntil: T0 + 60_000,
    });
    // Held, and pushed out of the due list until the claim expires.
    expect(await claimAll(store, 'poller-b', T0 + 1_000)).toEqual([]);
    expect(await dueList(store, T0 + 59_000)).toEqual([]);
    // poller-a died: at its tentative time (after the claim expired) another poller takes over.
    const due = first?.nextPollAt ?? 0;
    expect(due).toBeGreaterThanOrEqual(T0 + 60_000);
    const [second] = await claimAll(store, 'poller-b', due, 60_000);
    expect(second).toMatchObject({ customerId: '11', claimOwner: 'poller-b', idlePolls: 1 });
    // The late poller-a can no longer record anything.
    expect(
      await store.completePoll(first as ClaimedCustomer, {
        schedule: { nextPollAt: T0, idlePolls: 0, lastPolledAt: T0 },
      }),
    ).toBe('lost');
    expect(
      await store.completePoll(second as ClaimedCustomer, {
        schedule: { nextPollAt: due + 60_000, idlePolls: 0, lastPolledAt: due },
        mode: 'tracking',
        windowDigest: 'abc',
        lastError: null,
      }),
    ).toBe('completed');
    expect(await dueList(store, due + 60_000)).toEqual([
      { customerId: '11', nextPollAt: due + 60_000, idlePolls: 0 },
    ]);
    const [third] = await claimAll(store, 'poller-c', due + 60_000);
    expect(third).toMatchObject({ mode: 'tracking', windowDigest: 'abc', lastPolledAt: due });
  });

  it('claims a customer that is not due yet only when asked by name, and reads its schedule', async () => {
    const { store } = await freshStore('named-claim');
    await watch(store, '12');
    const [first] = await claimAll(store, 'poller-a', T0, 60_000);
    if (!first) throw new Error('customer 12 was not claimed');
    await store.completePoll(first, {
      schedule: { nextPollAt: T0 + 600_000, idlePolls: 3, lastPolledAt: T0 },
    });
    const schedule = await store.scheduleOf('12');
    expect(schedule).toMatchObject({
      status: 'active',
      nextPollAt: T0 + 600_000,
      idlePolls: 3,
      claimedUntil: null,
    });
    expect(await store.scheduleOf('13')).toBeUndefined();

    const now = T0 + 1_000;
    const due = { customerId: '12', nextPollAt: T0 + 600_000, idlePolls: 3 };
    const request = {
      owner: 'cli-b',
      now,
      claimedUntil: now + 60_000,
      tentative: { nextPollAt: now + 480_000, idlePolls: 4, lastPolledAt: now },
    };
    // Not due: a sweep's claim (listed as due now) fails; the same claim by name succeeds.
    expect(await store.claim({ ...due, nextPollAt: now }, request)).toBeUndefined();
    expect(await store.claim(due, { ...request, aheadOfSchedule: true })).toMatchObject({
      customerId: '12',
      claimOwner: 'cli-b',
      idlePolls: 3,
    });
    // Every other condition stands: held now, so a second named claim fails.
    expect(
      await store.claim(
        { ...due, idlePolls: 4 },
        { ...request, owner: 'cli-c', aheadOfSchedule: true },
      ),
    ).toBeUndefined();
    expect(await store.scheduleOf('12')).toMatchObject({
      nextPollAt: now + 480_000,
      idlePolls: 4,
      claimedUntil: now + 60_000,
    });
  });

  it('hands a tick’s claim to one delivery only, and never a claim that was completed, expired or claimed again', async () => {
    const { store, tableName } = await freshStore('takeover');
    await watch(store, '21');
    const [queued] = (await claimAll(store, 'tick-1', T0, 60_000)) as [ClaimedCustomer];
    const owner = async () =>
      (
        await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { customerId: { S: 'schedule#21' } },
            ConsistentRead: true,
          }),
        )
      ).Item?.claimOwner?.S;
    // Two deliveries of the message: the first takes the customer over, the second is refused.
    const [a, b] = await Promise.all([
      store.takeOver(queued, { owner: 'delivery-a', now: T0 + 1_000 }),
      store.takeOver(queued, { owner: 'delivery-b', now: T0 + 1_000 }),
    ]);
    const taken = (a ?? b) as ClaimedCustomer;
    expect([a, b].filter((result) => result !== undefined)).toHaveLength(1);
    expect(taken).toEqual({ ...queued, claimOwner: taken.claimOwner });
    expect(await owner()).toBe(taken.claimOwner);
    // The same delivery's write again (a retry whose first answer was lost): still its own.
    expect(await store.takeOver(queued, { owner: taken.claimOwner, now: T0 + 1_000 })).toEqual(
      taken,
    );
    // Only the delivery's claim completes the poll; the tick's is gone.
    const schedule = { nextPollAt: T0 + 60_000, idlePolls: 0, lastPolledAt: T0 };
    expect(await store.completePoll(queued, { schedule })).toBe('lost');
    expect(await store.completePoll(taken, { schedule })).toBe('completed');
    // A redelivery after the poll was done: nothing to take over.
    expect(await store.takeOver(queued, { owner: 'delivery-c', now: T0 + 2_000 })).toBeUndefined();

    // Claimed again by a later tick: the first tick's message takes nothing.
    const [again] = (await claimAll(store, 'tick-2', T0 + 60_000, 60_000)) as [ClaimedCustomer];
    expect(await store.takeOver(queued, { owner: 'delivery-d', now: T0 + 3_000 })).toBeUndefined();
    expect(await owner()).toBe('tick-2');
    // An expired claim is not taken over either, even when the item still holds it.
    expect(
      await store.takeOver(again, { owner: 'delivery-e', now: again.claimedUntil }),
    ).toBeUndefined();
    expect(await owner()).toBe('tick-2');
    expect(
      await store.takeOver(again, { owner: 'delivery-f', now: again.claimedUntil - 1 }),
    ).toMatchObject({ claimOwner: 'delivery-f', claimedUntil: again.claimedUntil });
  });

  it('lets two pollers racing over the same due customers publish every event exactly once', async () => {
    const { store } = await freshStore('race');
    const source = new ScriptedSource();
    const publisher = new RecordingPublisher();
    const ids = Array.from({ length: 40 }, (_, index) => String(3000 + index));
    for (const id of ids) {
      await watch(store, id);
      source.setWindow(id, [
        apiEvent({ uniqueId: `${id}-b`, date: '2026-02-28T23:59:00Z' }),
        apiEvent({ uniqueId: `${id}-a`, date: '2026-02-28T23:58:00Z' }),
      ]);
    }
    const sweep = (owner: string) =>
      runSweep(
        { store, source, publisher, logger: captureLogger(), clock: () => new Date(T0 + 1_000) },
        {
          psiMode: 'mask',
          seenCapacity: 50,
          version: 'race',
          concurrency: 4,
          policy,
          claimSeconds: 120,
          owner,
        },
      );
    const [a, b] = await Promise.all([sweep(`a-${randomUUID()}`), sweep(`b-${randomUUID()}`)]);
    expect(a.claimed + b.claimed).toBe(40);
    const keys = publisher.published.map((event) => event.key);
    expect(keys).toHaveLength(80);
    expect(new Set(keys).size).toBe(80);
    expect(a.conflicts + b.conflicts).toBe(0);
  });
});

describe('the priority lane', () => {
  it('takes hinted customers first, at most the lane limit of them, then the most overdue', async () => {
    const { store, tableName } = await freshStore('lane');
    const feed = new DynamoDbFeedStore({ client, tableName });
    for (const id of ['31', '32', '33', '34', '35']) await watch(store, id, T0 - 86_400_000);
    // 31 and 32 are a day overdue; 33, 34 and 35 are hinted (their events at T0 - 3, -2, -1 s).
    expect(await feed.markHinted('34', T0 - 2_000)).toBe('due-now');
    expect(await feed.markHinted('35', T0 - 1_000)).toBe('due-now');
    expect(await feed.markHinted('33', T0 - 3_000)).toBe('due-now');
    const claimed: string[] = [];
    const deps = { store, clock: () => new Date(T0) };
    const options = { owner: 'tick', now: T0, policy, claimMs: 120_000, limit: 4, laneLimit: 2 };
    for await (const customer of claimDue(deps, options)) claimed.push(customer.customerId);
    // Oldest hints first, capped at two; the schedule keeps the rest of the tick.
    expect(claimed).toEqual(['33', '34', '31', '32']);
    // The third hint waits for the next tick, ahead of everything else.
    expect((await dueList(store, T0)).map((due) => due.customerId)).toEqual(['35']);
  });

  it('keeps a hint that came while the customer was claimed, so its poll cannot miss the event', async () => {
    const { store, tableName } = await freshStore('lane-claimed');
    const feed = new DynamoDbFeedStore({ client, tableName });
    await watch(store, '41');
    const [claimed] = await claimAll(store, 'poller', T0);
    // An event after the claim began: the poll may have fetched before it was there.
    expect(await feed.markHinted('41', T0 + 1_000)).toBe('due-now');
    const after = { nextPollAt: T0 + 60_000, idlePolls: 0, lastPolledAt: T0 + 2_000 };
    expect(
      await store.completePoll(claimed as ClaimedCustomer, {
        schedule: after,
        mode: 'tracking',
        windowDigest: 'x',
        lastError: null,
      }),
    ).toBe('completed');
    const [due] = await dueList(store, T0 + 3_000);
    expect(due).toEqual({
      customerId: '41',
      nextPollAt: laneDueAt(T0 + 1_000),
      idlePolls: 0,
      // A hint proves the feed knows the customer.
      coverage: 'bounded',
    });
    // And the claim ended: the next tick takes it at once.
    const [again] = await claimAll(store, 'next', T0 + 3_000);
    expect(again?.customerId).toBe('41');
    expect(isInLane(again?.nextPollAt ?? -1)).toBe(false);
  });

  it('lets a poll without a hint meanwhile complete as before, and a lost claim stay lost', async () => {
    const { store, tableName } = await freshStore('lane-lost');
    const feed = new DynamoDbFeedStore({ client, tableName });
    await watch(store, '42');
    const [claimed] = await claimAll(store, 'poller', T0, 60_000);
    const [stolen] = await claimAll(store, 'other', (claimed?.nextPollAt ?? 0) + 1, 60_000);
    expect(stolen?.customerId).toBe('42');
    expect(await feed.markHinted('42', (claimed?.nextPollAt ?? 0) + 2)).toBe('due-now');
    const schedule = { nextPollAt: T0 + 60_000, idlePolls: 0, lastPolledAt: T0 };
    expect(await store.completePoll(claimed as ClaimedCustomer, { schedule })).toBe('lost');
  });
});

describe('the backstop', () => {
  const SIX_HOURS = 21_600_000;
  const TWO_HOURS = 7_200_000;
  const slow = { minIntervalMs: 60_000, maxIntervalMs: TWO_HOURS };
  const healthy: BackstopOptions = { intervalMs: SIX_HOURS, feedHealthy: true };
  const down: BackstopOptions = { intervalMs: SIX_HOURS, feedHealthy: false };

  async function claimWith(
    store: DynamoDbCursorStore,
    now: number,
    backstop: BackstopOptions,
    limit?: number,
  ) {
    const claims: ClaimedCustomer[] = [];
    const deps = { store, clock: () => new Date(now) };
    const options = { owner: `o-${now}`, now, policy: slow, claimMs: 120_000, backstop, limit };
    for await (const claimed of claimDue(deps, options)) claims.push(claimed);
    return claims;
  }

  // One scan segment: a pass walks the whole (tiny) table.
  const walkedStore = (label: string) =>
    freshCursorStore(client, label, { now: () => T0, walkSegments: 1 });
  const PASS = SIX_HOURS / 4;

  async function shardOf(tableName: string, customerId: string) {
    const item = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { customerId: { S: `schedule#${customerId}` } },
      }),
    );
    return item.Item?.dueShard?.S;
  }

  it('takes a dormant customer the feed knows off the due index while the feed is healthy, and walks to it once per backstop', async () => {
    const { store, tableName } = await walkedStore('backstop');
    await watch(store, '51');
    await watch(store, '52');
    const index = new DynamoDbIdentifierIndex({ client, tableName, hashKey: Buffer.alloc(32, 7) });
    await index.learn([{ customerId: '51', identifier: '919000000051' }]);
    // Both long idle: at their top tier.
    for (const id of ['51', '52']) {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { customerId: { S: `schedule#${id}` } },
          UpdateExpression: 'SET idlePolls = :tier',
          ExpressionAttributeValues: { ':tier': { N: '20' } },
        }),
      );
    }
    expect((await dueList(store, T0)).map((due) => [due.customerId, due.coverage])).toEqual([
      ['51', 'bounded'],
      ['52', undefined],
    ]);

    const first = await claimWith(store, T0, healthy);
    expect(first.map((claim) => [claim.customerId, claim.nextPollAt, claim.maxIntervalMs])).toEqual(
      [
        ['51', T0 + SIX_HOURS, SIX_HOURS],
        ['52', T0 + TWO_HOURS, undefined],
      ],
    );
    // Off the index: its claims and completions move no index key from now on.
    expect(await shardOf(tableName, '51')).toBeUndefined();
    expect(await shardOf(tableName, '52')).toMatch(/^\d$/);
    const [claimed51] = first;
    const idle = { nextPollAt: T0 + SIX_HOURS, idlePolls: 21, lastPolledAt: T0 };
    expect(await store.completePoll(claimed51 as ClaimedCustomer, { schedule: idle })).toBe(
      'completed',
    );
    expect(await shardOf(tableName, '51')).toBeUndefined();

    // A pass on, its bound still more than a pass away: the walk leaves it.
    expect(await claimWith(store, T0 + PASS + 1, healthy)).toEqual([]);
    // Within a pass of its bound: the walk claims it, and it stays off the index.
    const walked = T0 + SIX_HOURS - PASS;
    const claims = await claimWith(store, walked, healthy);
    // Most urgent first: 52, due on the index since T0 + 2 h, then 51, by its bound.
    expect(claims.map((claim) => claim.customerId)).toEqual(['52', '51']);
    const again = claims[1];
    expect(again).toMatchObject({ customerId: '51', maxIntervalMs: SIX_HOURS });
    expect(again?.nextPollAt).toBe(walked + SIX_HOURS);
    expect(await shardOf(tableName, '51')).toBeUndefined();
  });

  it('walks a customer off the index back onto it, by the staleness bound, once the feed is down', async () => {
    const { store, tableName } = await walkedStore('backstop-down');
    await watch(store, '55');
    const index = new DynamoDbIdentifierIndex({ client, tableName, hashKey: Buffer.alloc(32, 7) });
    await index.learn([{ customerId: '55', identifier: '919000000055' }]);
    await claimWith(store, T0, healthy);
    expect(await shardOf(tableName, '55')).toBeUndefined();
    // Two hours on (a pass later, so the walk comes back), the feed down: due by the staleness
    // bound, and scheduled under it again, on the index, still known to the feed.
    const later = T0 + TWO_HOURS + 1;
    expect(await dueList(store, later)).toEqual([]);
    const [claimedDown] = await claimWith(store, later, down);
    expect(claimedDown).toMatchObject({ customerId: '55' });
    expect(claimedDown?.maxIntervalMs).toBeUndefined();
    expect(claimedDown?.nextPollAt).toBeLessThanOrEqual(later + TWO_HOURS);
    expect(await shardOf(tableName, '55')).toMatch(/^c\d$/);
  });

  it('puts back on the index the walked customers a tick had no room for, so the walk goes on and nobody is lost', async () => {
    const { store, tableName } = await walkedStore('backstop-limit');
    const index = new DynamoDbIdentifierIndex({ client, tableName, hashKey: Buffer.alloc(32, 7) });
    for (const id of ['61', '62', '63']) {
      await watch(store, id);
      await index.learn([{ customerId: id, identifier: `9190000000${id}` }]);
    }
    await claimWith(store, T0, healthy);
    const walked = T0 + SIX_HOURS - PASS;
    const firstTick = await claimWith(store, walked, healthy, 2);
    expect(firstTick).toHaveLength(2);
    const [left] = ['61', '62', '63'].filter(
      (id) => !firstTick.some((claim) => claim.customerId === id),
    );
    expect(await shardOf(tableName, left as string)).toMatch(/^c\d$/);
    // The walk was saved; the index has the one left, due at its deadline (its tentative next
    // poll, long past), and the next tick claims it from there, off the index again.
    const [last] = await claimWith(store, walked + 1_000, healthy);
    expect(last?.customerId).toBe(left);
    expect(await shardOf(tableName, left as string)).toBeUndefined();
    expect(await claimWith(store, walked + 2_000, healthy)).toEqual([]);
  });

  it('puts a hinted customer off the index into the lane, and takes it off again once polled', async () => {
    const { store, tableName } = await walkedStore('backstop-lane');
    const feed = new DynamoDbFeedStore({ client, tableName });
    await watch(store, '56');
    await feed.markHinted('56', T0 - 1_000);
    const [polled] = await claimWith(store, T0, healthy);
    const idle = { nextPollAt: T0 + SIX_HOURS, idlePolls: 1, lastPolledAt: T0 };
    await store.completePoll(polled as ClaimedCustomer, { schedule: idle });
    expect(await shardOf(tableName, '56')).toBeUndefined();
    expect(await feed.markHinted('56', T0 + 5_000)).toBe('due-now');
    expect(await shardOf(tableName, '56')).toMatch(/^c\d$/);
    const [hinted] = await claimWith(store, T0 + 10_000, healthy);
    expect(hinted).toMatchObject({ customerId: '56', maxIntervalMs: SIX_HOURS });
    expect(await shardOf(tableName, '56')).toBeUndefined();
  });

  it('marks a customer known once the feed hints it, and a paused customer not at all', async () => {
    const { store, tableName } = await walkedStore('backstop-hint');
    const feed = new DynamoDbFeedStore({ client, tableName });
    await watch(store, '53');
    await watch(store, '54');
    await store.setStatus('54', 'paused', T0);
    const index = new DynamoDbIdentifierIndex({ client, tableName, hashKey: Buffer.alloc(32, 7) });
    await index.learn([{ customerId: '54', identifier: 'someone@example.com' }]);
    expect(await shardOf(tableName, '54')).toBeUndefined();
    expect(await feed.markHinted('53', T0 - 1_000)).toBe('due-now');
    expect(await shardOf(tableName, '53')).toMatch(/^c\d$/);
    const [claimed] = await claimWith(store, T0, healthy);
    expect(claimed).toMatchObject({ customerId: '53', maxIntervalMs: SIX_HOURS });
  });
});

describe('a due index made KEYS_ONLY', () => {
  it('reads the tier from the schedule item, so customers past their first idle poll are still claimed', async () => {
    // The table `init` makes, but for the due index's projection.
    const { Table: made } = await client.send(
      new DescribeTableCommand({ TableName: await createTestTable(client, 'keys-only-model') }),
    );
    const tableName = `test-keys-only-${randomUUID()}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: made?.AttributeDefinitions,
        KeySchema: made?.KeySchema,
        GlobalSecondaryIndexes: made?.GlobalSecondaryIndexes?.map(({ IndexName, KeySchema }) => ({
          IndexName,
          KeySchema,
          Projection: { ProjectionType: 'KEYS_ONLY' },
        })),
      }),
    );
    const store = new DynamoDbCursorStore({ client, tableName, now: () => T0 });
    await watch(store, '12');
    const [first] = await claimAll(store, 'a', T0, 30_000);
    expect(first?.idlePolls).toBe(0);
    const due = first?.nextPollAt ?? 0;
    expect(await dueList(store, due)).toEqual([
      { customerId: '12', nextPollAt: due, idlePolls: 1 },
    ]);
    const [second] = await claimAll(store, 'b', due, 30_000);
    expect(second).toMatchObject({ customerId: '12', idlePolls: 1 });
  });
});

describe('init on a table made before schedules', () => {
  it('adds the due index and a schedule item for every customer watched before, once', async () => {
    const tableName = `test-old-${randomUUID()}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'customerId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'watchlist',
            KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
            Projection: {
              ProjectionType: 'INCLUDE',
              NonKeyAttributes: ['scope', 'mode', 'status'],
            },
          },
        ],
      }),
    );
    for (const [id, status] of [
      ['100', 'active'],
      ['101', 'paused'],
    ] as const) {
      const state = newCustomerState(
        { customerId: id, scope: 'default', backfill: false },
        new Date(T0),
      );
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: encodeCursorItem({ ...state, status, mode: 'tracking' }),
        }),
      );
    }

    expect(await createCursorTable(client, tableName, { now: T0 + 1 })).toBe('updated');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toContain('due');

    const store = new DynamoDbCursorStore({ client, tableName });
    expect(await dueList(store, T0 + 1)).toEqual([
      { customerId: '100', nextPollAt: T0, idlePolls: 0 },
    ]);
    const [claimed] = await claimAll(store, 'migrated', T0 + 1);
    expect(claimed).toMatchObject({ customerId: '100', mode: 'tracking' });
    expect(await store.setStatus('101', 'active', T0 + 2)).toBe('active');

    expect(await createCursorTable(client, tableName)).toBe('exists');
  });
});
