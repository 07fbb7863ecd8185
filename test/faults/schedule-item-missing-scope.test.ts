// Fault: one schedule item without its `scope` (a hand edit, a half-written migration).
// Before: 4 of 14 ticks threw, and claimed none of the 29 healthy customers.
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricName } from '../../src/observability/metric-names.js';
import { TickFaultHarness } from '../support/tick-fault-harness.js';

const CUSTOMERS = Array.from({ length: 30 }, (_, index) => String(7200 + index));
// First in line: most overdue ties are broken by id.
const BROKEN = '7200';

let fleet: TickFaultHarness;

beforeAll(async () => {
  fleet = await TickFaultHarness.start();
});
afterAll(async () => {
  await fleet.close();
});

describe('a schedule item with a missing scope', () => {
  it('is rebuilt from the cursor item and polled, reported once, and stops no one', async () => {
    await fleet.watch(CUSTOMERS);
    await fleet.dynamo.send(
      new UpdateItemCommand({
        TableName: fleet.tableName,
        Key: { customerId: { S: `schedule#${BROKEN}` } },
        UpdateExpression: 'REMOVE #scope',
        ExpressionAttributeNames: { '#scope': 'scope' },
      }),
    );

    const first = await fleet.round();
    expect(first.error).toBeUndefined();
    expect(first.summary).toMatchObject({ claimed: 30, queued: 30, corruptItems: 1 });
    expect(first.metrics?.[MetricName.CorruptItems]).toBe(1);
    expect(first.log).toContain('Schedule item unreadable; rebuilt from the cursor item');
    expect(logLine(first.log, 'Schedule item unreadable')).toMatchObject({
      customerId: BROKEN,
      fields: ['scope'],
    });

    // Rebuilt for good: the next tick finds a sound item and reports nothing more.
    fleet.addEvents(1);
    await fleet.makeAllDue();
    const next = await fleet.round();
    expect(next.error).toBeUndefined();
    expect(next.summary).toMatchObject({ claimed: 30, queued: 30, corruptItems: 0 });

    expect(fleet.lostAndDuplicated()).toEqual({ lost: [], duplicated: [] });
    expect(fleet.customersPublished()).toEqual(new Set(CUSTOMERS));
  }, 120_000);
});

/** The first JSON log line whose message starts with `message`. */
function logLine(log: string, message: string): Record<string, unknown> | undefined {
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (String(parsed.message).startsWith(message)) return parsed;
  }
  return undefined;
}
