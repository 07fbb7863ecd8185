// Fault: a cursor item whose packed seen set is cut short, or is not binary at all (a hand edit, a
// partial restore). A seen set that cannot be read must not be taken for an empty one: every event
// in the window would be published again.
import { type AttributeValue, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueIdOf } from '../support/poller-fixtures.js';
import { logLines, TickFaultHarness } from '../support/tick-fault-harness.js';

const CUSTOMERS = Array.from({ length: 10 }, (_, index) => String(7400 + index));
const CUT_SHORT = '7403';
const NOT_BINARY = '7406';

let fleet: TickFaultHarness;

beforeAll(async () => {
  fleet = await TickFaultHarness.start();
});
afterAll(async () => {
  await fleet.close();
});

const cursorKey = (customerId: string) => ({ customerId: { S: customerId } });

async function storeSeen(customerId: string, value: AttributeValue) {
  await fleet.dynamo.send(
    new UpdateItemCommand({
      TableName: fleet.tableName,
      Key: cursorKey(customerId),
      UpdateExpression: 'SET seen = :value',
      ExpressionAttributeValues: { ':value': value },
    }),
  );
}

async function cursorItem(customerId: string) {
  const { Item } = await fleet.dynamo.send(
    new GetItemCommand({ TableName: fleet.tableName, Key: cursorKey(customerId) }),
  );
  return Item;
}

describe('a cursor item whose seen set cannot be read', () => {
  it('fails the polls of that customer naming the attribute, publishes nothing for it again, writes nothing over it, and stops no one', async () => {
    await fleet.watch(CUSTOMERS);
    await fleet.round();
    // Two entries each after the first poll: one byte short of them, and a string instead.
    const packed = (await cursorItem(CUT_SHORT))?.seen?.B as Uint8Array;
    expect(packed).toHaveLength(2 * 14);
    await storeSeen(CUT_SHORT, { B: packed.subarray(0, packed.length - 1) });
    await storeSeen(NOT_BINARY, { S: uniqueIdOf(NOT_BINARY, 1) });
    const broken = {
      [CUT_SHORT]: await cursorItem(CUT_SHORT),
      [NOT_BINARY]: await cursorItem(NOT_BINARY),
    };

    const failures: Record<string, unknown>[] = [];
    for (let round = 0; round < 2; round++) {
      fleet.addEvents(1);
      await fleet.makeAllDue();
      const run = await fleet.round();
      expect(run.error).toBeUndefined();
      expect(run.summary).toMatchObject({ claimed: 10, queued: 10 });
      failures.push(...logLines(run.workLog, 'Customer poll failed'));
    }

    expect(failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          customerId: CUT_SHORT,
          reason: expect.stringMatching(
            /^cursor not read: the item of customer 7403 in table .* cannot be read: seen: expected a multiple of 14 bytes$/,
          ),
        }),
        expect.objectContaining({
          customerId: NOT_BINARY,
          reason: expect.stringMatching(/cannot be read: seen: expected binary \(B\)$/),
        }),
      ]),
    );
    // Each poll of the two failed, every round; no other customer's did.
    expect(failures.map((line) => String(line.customerId)).sort()).toEqual(
      [CUT_SHORT, CUT_SHORT, NOT_BINARY, NOT_BINARY].sort(),
    );
    // Their items are as they were left: the poller writes over nothing it could not read.
    for (const [customerId, item] of Object.entries(broken)) {
      expect(await cursorItem(customerId)).toEqual(item);
    }

    // Their first two events went out once, before the fault; the later ones wait for a fix.
    const published = fleet.published();
    for (const customerId of [CUT_SHORT, NOT_BINARY]) {
      expect(published.get(uniqueIdOf(customerId, 1))).toBe(1);
      expect(published.get(uniqueIdOf(customerId, 3))).toBeUndefined();
    }
    const { lost, duplicated } = fleet.lostAndDuplicated();
    expect(duplicated).toEqual([]);
    expect(lost.sort()).toEqual(
      [CUT_SHORT, NOT_BINARY].flatMap((id) => [uniqueIdOf(id, 3), uniqueIdOf(id, 4)]).sort(),
    );
  }, 120_000);
});
