// Fault: a schedule item whose `idlePolls` or `claimedUntil` is stored as a string (a hand edit),
// or whose `status` cannot be read.
// Before: the customer's claims failed their condition forever, so it was never polled again,
// nothing was logged, and `CustomersOverdue` stayed 0.
import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricName } from '../../src/observability/metric-names.js';
import { uniqueIdOf } from '../support/poller-fixtures.js';
import { logLines, TickFaultHarness } from '../support/tick-fault-harness.js';

const CUSTOMERS = Array.from({ length: 30 }, (_, index) => String(7300 + index));
const TIER_AS_STRING = '7305';
const CLAIM_AS_STRING = '7317';
const STATUS_AS_NUMBER = '7322';

let fleet: TickFaultHarness;

beforeAll(async () => {
  fleet = await TickFaultHarness.start();
});
afterAll(async () => {
  await fleet.close();
});

async function storeAs(customerId: string, attribute: string, value: AttributeValue) {
  await fleet.dynamo.send(
    new UpdateItemCommand({
      TableName: fleet.tableName,
      Key: { customerId: { S: `schedule#${customerId}` } },
      UpdateExpression: 'SET #attribute = :value',
      ExpressionAttributeNames: { '#attribute': attribute },
      ExpressionAttributeValues: { ':value': value },
    }),
  );
}

describe('idlePolls or claimedUntil stored as a string', () => {
  it('polls the customer again, reports it with the metric and a log naming the field, and leaves the others alone', async () => {
    await fleet.watch(CUSTOMERS);
    // Both polled once, then broken by hand: the bad item is met by a later tick.
    await fleet.round();
    fleet.addEvents(2);
    await fleet.makeAllDue();
    await storeAs(TIER_AS_STRING, 'idlePolls', { S: '2' });
    // A claim "until" far ahead, as text: it must not hold the customer either.
    await storeAs(CLAIM_AS_STRING, 'claimedUntil', { S: String(Date.now() + 86_400_000) });
    // Its status unreadable: still in the due index, so active (a pause leaves the index).
    await storeAs(STATUS_AS_NUMBER, 'status', { N: '1' });

    const broken = await fleet.round();
    expect(broken.error).toBeUndefined();
    expect(broken.summary).toMatchObject({ claimed: 30, queued: 30, corruptItems: 3 });
    expect(broken.metrics?.[MetricName.CorruptItems]).toBe(3);
    const reports = logLines(broken.log, 'Schedule item unreadable');
    expect(reports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ customerId: TIER_AS_STRING, fields: ['idlePolls'] }),
        expect.objectContaining({ customerId: CLAIM_AS_STRING, fields: ['claimedUntil'] }),
        expect.objectContaining({ customerId: STATUS_AS_NUMBER, fields: ['status'] }),
      ]),
    );
    // Names the field, never its value.
    expect(JSON.stringify(reports)).not.toContain('86400');
    // Polled in that very round: their new events are on the bus.
    for (const customerId of [TIER_AS_STRING, CLAIM_AS_STRING, STATUS_AS_NUMBER]) {
      expect(fleet.published().get(uniqueIdOf(customerId, 4))).toBe(1);
    }

    // Rebuilt for good: polled like the others, nothing more to report.
    fleet.addEvents(1);
    await fleet.makeAllDue();
    const after = await fleet.round();
    expect(after.summary).toMatchObject({ claimed: 30, queued: 30, corruptItems: 0 });

    expect(fleet.lostAndDuplicated()).toEqual({ lost: [], duplicated: [] });
    expect(fleet.customersPublished()).toEqual(new Set(CUSTOMERS));
  }, 120_000);
});
