// Fault: 40% of all DynamoDB calls throttled (`ProvisionedThroughputExceededException`), for the
// scheduler and the workers alike. Before: 10 of 14 ticks failed (one call in 16 failed for good
// after the SDK's 3 tries, and a failed claim or due-index read ended its tick).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { throttleShare } from '../support/dynamodb-fault-proxy.js';
import { type TickFaultHarness as Fleet, TickFaultHarness } from '../support/tick-fault-harness.js';

// 4 customers and 6 ticks, not 30 and 14: the SDK waits 0.5 to 1 s on average before each retry
// of a throttled call, and a tick makes some 15 calls, so the run stays near a minute. Before,
// about half of such ticks failed.
const CUSTOMERS = Array.from({ length: 4 }, (_, index) => String(7100 + index));
const TICKS = 6;

let fleet: Fleet;

beforeAll(async () => {
  fleet = await TickFaultHarness.start();
});
afterAll(async () => {
  await fleet.close();
});

describe('40% of DynamoDB calls throttled', () => {
  it('fails no tick, publishes every event once, and stops no customer', async () => {
    await fleet.watch(CUSTOMERS, 1);
    fleet.proxy.throttleWhen(throttleShare(0.4, 20_261_207));
    const ticks = [];
    for (let round = 0; round < TICKS; round++) {
      if (round > 0) {
        fleet.addEvents(1);
        await fleet.makeAllDue();
      }
      ticks.push(await fleet.round());
    }
    const throttled = fleet.proxy.throttled().length;
    expect(throttled / fleet.proxy.calls.length).toBeGreaterThan(0.3);

    expect(ticks.filter((tick) => tick.error !== undefined)).toEqual([]);
    // Throttles are tried again within the tick: (nearly) every due customer is claimed and
    // queued; a claim still throttled after its tries is skipped and counted, never fatal.
    for (const tick of ticks) {
      const summary = tick.summary as NonNullable<typeof tick.summary>;
      expect(summary.claimed + summary.claimErrors).toBe(CUSTOMERS.length);
      expect(summary.queued).toBe(summary.claimed);
    }
    const claimed = ticks.reduce((sum, tick) => sum + (tick.summary?.claimed ?? 0), 0);
    expect(claimed).toBeGreaterThanOrEqual(0.95 * TICKS * CUSTOMERS.length);

    // Throttled calls in the workers only delay a customer (its poll fails before it publishes,
    // or its cursor write is tried again): one round without throttles catches everyone up.
    fleet.proxy.stopThrottling();
    await fleet.makeAllDue();
    await fleet.round();
    expect(fleet.lostAndDuplicated()).toEqual({ lost: [], duplicated: [] });
    expect(fleet.customersPublished()).toEqual(new Set(CUSTOMERS));
  }, 180_000);
});
