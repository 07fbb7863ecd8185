// Fault: DynamoDB throttles the claim of one customer (`ProvisionedThroughputExceededException`).
// Before: every scheduler tick failed, and the other 29 customers published nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricName } from '../../src/observability/metric-names.js';
import { isClaim, keyOf } from '../support/dynamodb-fault-proxy.js';
import { TickFaultHarness } from '../support/tick-fault-harness.js';

const CUSTOMERS = Array.from({ length: 30 }, (_, index) => String(7000 + index));
// First in line: the most overdue ties are broken by id, so every other claim comes after it.
const THROTTLED = '7000';

let fleet: TickFaultHarness;

beforeAll(async () => {
  fleet = await TickFaultHarness.start();
});
afterAll(async () => {
  await fleet.close();
});

describe('one throttled claim', () => {
  it('skips that customer with a metric and a log naming it; the others publish; it is polled once the throttle ends', async () => {
    await fleet.watch(CUSTOMERS);
    const throttledClaim = (call: Parameters<typeof keyOf>[0]) =>
      isClaim(call) && keyOf(call) === `schedule#${THROTTLED}`;

    // Throttled once: tried again within the tick, claimed like the others.
    let once = true;
    fleet.proxy.throttleWhen((call) => {
      if (!once || !throttledClaim(call)) return false;
      once = false;
      return true;
    });
    const first = await fleet.round();
    expect(first.error).toBeUndefined();
    expect(first.summary).toMatchObject({ claimed: 30, queued: 30, claimErrors: 0 });
    expect(fleet.proxy.throttled()).toHaveLength(1);

    // Throttled on every try: skipped and reported; the tick goes on with the 29 others.
    fleet.addEvents(2);
    await fleet.makeAllDue();
    fleet.proxy.throttleWhen(throttledClaim);
    const published = fleet.eventBridge.accepted.length;
    const second = await fleet.round();
    expect(second.error).toBeUndefined();
    expect(second.summary).toMatchObject({ claimed: 29, queued: 29, claimErrors: 1 });
    expect(second.metrics?.[MetricName.ClaimErrors]).toBe(1);
    expect(second.log).toContain('Customer not claimed');
    expect(second.log).toContain(THROTTLED);
    expect(second.log).toContain('ProvisionedThroughputExceededException');
    // The 29 others published their two new events each.
    expect(fleet.eventBridge.accepted.length - published).toBe(29 * 2);
    // Tried again with backoff, but a bounded number of times: one hot item cannot eat the tick.
    expect(fleet.proxy.throttled().length).toBeGreaterThan(2);
    expect(fleet.proxy.throttled().length).toBeLessThanOrEqual(1 + 3 * 3);

    // The throttle ends: the skipped customer is claimed and polled by the next tick.
    fleet.proxy.stopThrottling();
    await fleet.makeAllDue();
    const third = await fleet.round();
    expect(third.error).toBeUndefined();
    expect(third.summary).toMatchObject({ claimed: 30, claimErrors: 0 });

    expect(fleet.lostAndDuplicated()).toEqual({ lost: [], duplicated: [] });
    expect(fleet.customersPublished()).toEqual(new Set(CUSTOMERS));
  }, 120_000);
});
