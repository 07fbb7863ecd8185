// Fault: a copy of a work message arrives after its customers were polled and a later tick claimed
// them again (a late duplicate or redelivery; its own claims have not expired yet). Before the
// takeover such a copy polled the customers beside the later tick's workers. Now its takeover is
// refused: it polls nothing, and the later tick's workers poll every customer once.
import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../support/fleet-harness.js';

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

describe('a message that arrives after its customers were claimed again', () => {
  it('polls nothing, beside the later tick’s workers, which poll every customer once', async () => {
    fleet = await Fleet.start({ customers: 30 });
    fleet.addEvents(2);
    const stale = await fleet.tick();
    for (const message of stale) await fleet.deliver({ message });

    // A minute on every customer is due again; new events, and a later tick claims them all.
    fleet.advance(61_000);
    fleet.addEvents(1);
    const current = await fleet.tick();
    expect(current.length).toBe(stale.length);

    // The first tick's messages come back (their claims run for another minute) just as the
    // later tick's messages are delivered.
    const before = fleet.fetches();
    const runs = await fleet.deliverAtOnce([
      ...stale.map((message) => ({ message, receiveCount: 2 })),
      ...current.map((message) => ({ message })),
    ]);
    const staleRuns = runs.slice(0, stale.length);
    const currentRuns = runs.slice(stale.length);
    for (const run of staleRuns) {
      expect(run.result).toEqual({ batchItemFailures: [] });
      expect(run.summary).toMatchObject({ polled: 0, published: 0, failures: [], claimsLost: 0 });
    }
    expect(staleRuns.reduce((sum, run) => sum + (run.summary.notTakenOver ?? 0), 0)).toBe(30);
    expect(currentRuns.reduce((sum, run) => sum + run.summary.polled, 0)).toBe(30);
    const after = fleet.fetches();
    for (const customerId of fleet.customerIds) {
      expect(
        (after.get(customerId) ?? 0) - (before.get(customerId) ?? 0),
        `fetches of ${customerId}`,
      ).toBe(1);
    }

    await fleet.settle();
    const report = fleet.report();
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.published).toBe(report.served);
  }, 120_000);
});
