// Fault: a worker runs out of time part-way through a message (a partial batch failure), and SQS
// brings the message back 4 s later, while the tick's claims still hold. Measured on main before
// the takeover: 4.5% of events published twice. The redelivery now skips every customer the first
// delivery took over (polled, idle or still publishing) and polls the ones it never started.
import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../support/fleet-harness.js';

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** Fetches per customer between two `fleet.fetches()` readings. */
function fetchedBetween(before: Map<string, number>, after: Map<string, number>): Set<string> {
  return new Set(
    [...after].filter(([id, count]) => count > (before.get(id) ?? 0)).map(([id]) => id),
  );
}

describe('a message redelivered while its claims still hold', () => {
  it('polls the customers the first delivery never started, skips the others, and loses or doubles nothing', async () => {
    // Two polls in flight, so the first delivery stops with customers started and not started.
    fleet = await Fleet.start({ customers: 30, settings: { POLL_CONCURRENCY: '2' } });
    // A first round leaves every customer tracking its window: the next idle poll writes nothing.
    fleet.addEvents(2);
    for (const message of await fleet.tick()) await fleet.deliver({ message });
    fleet.advance(121_000);

    // Half the customers get new events; the other half are idle this time.
    for (let index = 0; index < 15; index++) fleet.stream.add();
    const [big, small] = await fleet.tick();
    if (!big || !small) throw new Error('expected a message of 25 customers and one of 5');
    const customersOf = (body: string) =>
      (JSON.parse(body) as { customers: { customerId: string }[] }).customers.map(
        (customer) => customer.customerId,
      );
    expect(customersOf(big.body)).toHaveLength(25);

    // The first delivery's time runs out (the clock jumps past its deadline, well inside the
    // claims) as its 8th customer is fetched: what is in flight finishes, the rest never starts.
    let requests = 0;
    const stopListening = fleet.capillary.onEventsRequest(() => {
      if (++requests === 8) fleet?.advance(46_000);
    });
    const beforeFirst = fleet.fetches();
    const first = await fleet.deliver({ message: big });
    stopListening();
    const startedFirst = fetchedBetween(beforeFirst, fleet.fetches());
    expect(first.result).toEqual({ batchItemFailures: [{ itemIdentifier: big.messageId }] });
    expect(first.summary.unstarted).toBe(25 - startedFirst.size);
    expect(startedFirst.size).toBeGreaterThanOrEqual(8);
    expect(startedFirst.size).toBeLessThan(25);
    await fleet.deliver({ message: small });

    // More events arrive; SQS brings the message back 4 s later, its claims still valid.
    fleet.addEvents(1);
    fleet.advance(4_000);
    const beforeAgain = fleet.fetches();
    const again = await fleet.deliver({ message: big, receiveCount: 2 });
    const startedAgain = fetchedBetween(beforeAgain, fleet.fetches());
    expect(again.result).toEqual({ batchItemFailures: [] });
    expect(again.summary).toMatchObject({
      unstarted: 0,
      failures: [],
      notTakenOver: startedFirst.size,
      polled: 25 - startedFirst.size,
    });
    // Exactly the customers the first delivery never started, each once.
    expect([...startedAgain].sort()).toEqual(
      customersOf(big.body)
        .filter((id) => !startedFirst.has(id))
        .sort(),
    );

    // Later ticks poll the skipped customers again: every event is out, once.
    await fleet.settle();
    const report = fleet.report();
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.published).toBe(report.served);
    expect(report.served).toBe(30 * 3 + 15);
  }, 120_000);
});
