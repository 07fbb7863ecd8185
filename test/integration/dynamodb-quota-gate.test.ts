import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbQuotaGate } from '../../src/adapters/dynamodb/dynamodb-quota-gate.js';
import { QUOTA_ITEM_KEY, QuotaGateError } from '../../src/adapters/dynamodb/quota-item.js';
import { QuotaWaitError } from '../../src/domain/errors.js';
import { largestExcess, quotaUse } from '../../src/domain/gcra.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { VirtualTime } from '../support/virtual-time.js';

let client: DynamoDBClient;

beforeAll(() => {
  client = dynamoDbLocalClient();
});

afterAll(() => {
  client.destroy();
});

async function quotaItem(tableName: string): Promise<Record<string, unknown> | undefined> {
  const answer = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { customerId: { S: QUOTA_ITEM_KEY } },
      ConsistentRead: true,
    }),
  );
  return answer.Item ? unmarshall(answer.Item) : undefined;
}

describe('DynamoDbQuotaGate (DynamoDB Local)', () => {
  it('creates the missing quota item with the first take', async () => {
    const tableName = await createTestTable(client, 'quota-create');
    expect(await quotaItem(tableName)).toBeUndefined();
    const gate = new DynamoDbQuotaGate({ client, tableName, ratePerSecond: 50 });
    await gate.take();
    const item = await quotaItem(tableName);
    expect(item).toMatchObject({ customerId: QUOTA_ITEM_KEY, ratePerSecond: 50 });
    expect(item?.tat).toBeGreaterThan(0);
  });

  it('takes from a quota item in the layout the hand-written encoder stored, and keeps it', async () => {
    const tableName = await createTestTable(client, 'quota-old-layout');
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          customerId: { S: QUOTA_ITEM_KEY },
          tat: { N: '0' },
          pausedUntil: { N: '0' },
          version: { N: '41' },
          ratePerSecond: { N: '50' },
          updatedAt: { S: '2026-01-01T00:00:00.000Z' },
        },
      }),
    );
    const gate = new DynamoDbQuotaGate({ client, tableName, ratePerSecond: 50 });
    await gate.take();
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { customerId: { S: QUOTA_ITEM_KEY } },
        ConsistentRead: true,
      }),
    );
    expect(gate.writes).toBeGreaterThanOrEqual(1);
    expect(Item).toEqual({
      customerId: { S: QUOTA_ITEM_KEY },
      tat: { N: expect.stringMatching(/^[1-9][0-9]*$/) },
      pausedUntil: { N: '0' },
      // One block write, or more where a slow machine let the first block's slots expire.
      version: { N: String(41 + gate.writes) },
      ratePerSecond: { N: '50' },
      updatedAt: { S: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
  });

  it('keeps three pollers on one table within the budget together, and keeps it busy', async () => {
    const tableName = await createTestTable(client, 'quota-shared');
    // A second of burst: a poller late by less than that (a busy test machine) loses nothing.
    const policy = { ratePerSecond: 200, burst: 200 };
    const grants: number[] = [];
    const gates = Array.from(
      { length: 3 },
      () =>
        new DynamoDbQuotaGate({
          client,
          tableName,
          ...policy,
          onGrant: (at) => grants.push(at),
        }),
    );
    // Three takers per poller, 100 requests each: 900 requests, several seconds of budget.
    const lastGrants = await Promise.all(
      gates.flatMap((gate) =>
        Array.from({ length: 3 }, async () => {
          for (let request = 0; request < 100; request++) await gate.take();
          return grants.at(-1) ?? 0;
        }),
      ),
    );

    expect(grants).toHaveLength(900);
    // From the granted slot times, not from the wall clock: no window holds more than
    // rate × window + burst requests…
    expect(largestExcess(grants, policy)).toBeLessThanOrEqual(1e-6);
    // …and the budget was kept busy while every taker still had requests to send: grants ÷
    // (rate × span + burst) over that stretch. (Once pollers stop, the rest of the block each took
    // ahead is lost: at most a block each.) The second of burst lets a poller run late by that
    // much without losing budget. The bound is loose because test machines are shared and slow
    // DynamoDB writes cost the first blocks; `npm run bench` prints the figure itself.
    const allBusyUntil = Math.min(...lastGrants);
    const whileAllBusy = grants.filter((at) => at <= allBusyUntil);
    expect(whileAllBusy.length).toBeGreaterThan(150);
    expect(quotaUse(whileAllBusy, policy)).toBeGreaterThanOrEqual(0.75);
    // Blocks, not a write per request.
    const writes = gates.reduce((sum, gate) => sum + gate.writes, 0);
    expect(writes).toBeLessThan(900 / 10);
  });

  it('holds every poller back during a pause written by one of them', async () => {
    const tableName = await createTestTable(client, 'quota-pause');
    const grants: { gate: string; at: number }[] = [];
    const gate = (name: string) =>
      new DynamoDbQuotaGate({
        client,
        tableName,
        ratePerSecond: 20,
        onGrant: (at) => grants.push({ gate: name, at }),
      });
    const throttled = gate('throttled');
    const other = gate('other');
    await throttled.take();
    await other.take();

    await throttled.pauseFor(700);
    const pausedUntil = (await quotaItem(tableName))?.pausedUntil as number;
    expect(pausedUntil).toBeGreaterThan(grants[0]?.at ?? Number.POSITIVE_INFINITY);

    // A poller that starts now, one that already took budget, and the one that was throttled.
    const newcomer = gate('newcomer');
    grants.length = 0;
    await Promise.all([newcomer.take(), other.take(), throttled.take()]);
    expect(grants).toHaveLength(3);
    for (const grant of grants) expect(grant.at).toBeGreaterThanOrEqual(pausedUntil);
  });

  it('never waits longer than a take allows: past it, QuotaWaitError, and the slot stays for a taker that can wait', async () => {
    const tableName = await createTestTable(client, 'quota-bounded-wait');
    const time = new VirtualTime();
    const grants: number[] = [];
    const gate = new DynamoDbQuotaGate({
      client: time.track(client),
      tableName,
      ratePerSecond: 1,
      burst: 1,
      now: time.clock(),
      sleep: time.sleep,
      onGrant: (at) => grants.push(at),
    });
    /** What `take` came to once every timer up to `forMs` from now has run. */
    const settled = async (take: Promise<void>, forMs: number) => {
      const outcome = take.then(
        () => 'granted',
        (error: unknown) => error,
      );
      await time.runUntil(time.now + forMs);
      return outcome;
    };
    expect(await settled(gate.take(500), 0)).toBe('granted');
    // The next slot is a second away.
    expect(await settled(gate.take(500), 0)).toBeInstanceOf(QuotaWaitError);
    expect(await settled(gate.take(5_000), 5_000)).toBe('granted');
    // One slot a second: the refused take used none of them.
    expect(grants).toHaveLength(2);
    expect((grants[1] as number) - (grants[0] as number)).toBe(1_000);
  });

  it('fails a take with an actionable QuotaGateError when the table is missing', async () => {
    const gate = new DynamoDbQuotaGate({
      client,
      tableName: 'no-such-table-for-quota',
      ratePerSecond: 5,
    });
    const failure = await gate.take().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QuotaGateError);
    expect((failure as QuotaGateError).reason).toMatch(/GetItem and UpdateItem/);
  });
});
