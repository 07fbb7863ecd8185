import { describe, expect, it } from 'vitest';
import { pollHarness, slowFetches, watchFleet } from '../../../test/support/poll-harness.js';
import { claimDue } from '../claim/claim-due.js';
import type { ClaimedCustomer } from '../claim/claimed-customer.js';
import { deliveryClaimToken, workMessages } from '../schedule/work-queue.js';
import { pollWork } from './poll-work.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const policy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };
const options = {
  psiMode: 'mask' as const,
  seenCapacity: 50,
  version: 'test',
  concurrency: 4,
  policy,
  takeOverAs: 'delivery-1',
};

/** Customers watched with --backfill, each with one event, claimed by a tick. */
async function claimedFleet(count: number) {
  const deps = pollHarness({ now: NOW });
  await watchFleet(deps, count, (customerId) => `e-${customerId}`);
  const claimed: ClaimedCustomer[] = [];
  for await (const customer of claimDue(deps, {
    owner: 'tick-1',
    now: NOW,
    limit: count,
    policy,
    claimMs: 120_000,
  })) {
    claimed.push(customer);
  }
  return { deps, claimed, advance: deps.advance };
}

describe('pollWork', () => {
  it('polls each claimed customer of the message, one failure isolated from the others', async () => {
    const { deps, claimed } = await claimedFleet(25);
    deps.source.fail('7', 'HTTP 500 after 4 attempts');
    const [message] = workMessages(claimed);
    const summary = await pollWork(message!, deps, options);
    expect(summary).toMatchObject({ claimed: 25, polled: 24, published: 24, claimsLost: 0 });
    expect(summary.unstarted).toBe(0);
    expect(summary.failures).toEqual([{ customerId: '7', reason: 'HTTP 500 after 4 attempts' }]);
    expect(deps.publisher.published).toHaveLength(24);
  });

  it('never runs more polls at once than the concurrency allows', async () => {
    const { deps, claimed } = await claimedFleet(25);
    slowFetches(deps.source, 1);
    await pollWork(workMessages(claimed)[0]!, deps, options);
    expect(deps.source.peakInFlight).toBe(4);
  });

  it('starts no customer after its deadline, and says how many are left for the message to come back', async () => {
    const { deps, claimed } = await claimedFleet(10);
    const summary = await pollWork(workMessages(claimed)[0]!, deps, {
      ...options,
      deadline: NOW,
    });
    expect(summary).toMatchObject({ unstarted: 10, polled: 0, deferred: 10 });
    expect(deps.source.calls).toBe(0);
  });

  it('skips a redelivered message’s customers once their claims have expired, publishing nothing', async () => {
    const { deps, claimed, advance } = await claimedFleet(5);
    advance(121_000);
    const summary = await pollWork(workMessages(claimed)[0]!, deps, options);
    expect(summary).toMatchObject({ unstarted: 0, polled: 0, claimsLost: 5, published: 0 });
    expect(deps.source.calls).toBe(0);
  });

  it('publishes nothing twice when a message comes back after its customers were done', async () => {
    const { deps, claimed } = await claimedFleet(5);
    const [message] = workMessages(claimed);
    await pollWork(message!, deps, options);
    const again = await pollWork(message!, deps, options);
    expect(deps.publisher.published).toHaveLength(5);
    expect(again.published).toBe(0);
  });

  it('polls each customer once when one message reaches two workers at once; the other skips it', async () => {
    const { deps, claimed } = await claimedFleet(25);
    slowFetches(deps.source, 1);
    const [message] = workMessages(claimed);
    const [first, second] = await Promise.all([
      pollWork(message!, deps, { ...options, takeOverAs: 'delivery-a' }),
      pollWork(message!, deps, { ...options, takeOverAs: 'delivery-b' }),
    ]);
    expect(deps.source.calls).toBe(25);
    expect(deps.publisher.published).toHaveLength(25);
    expect(first.polled + second.polled).toBe(25);
    expect(first.notTakenOver + second.notTakenOver).toBe(25);
    expect([...first.failures, ...second.failures]).toEqual([]);
    // Skipping is what at-least-once delivery asks for: said at info, never as an error.
    const skipped = deps.logger.lines.filter((line) => line.message.includes('not taken over'));
    expect(skipped).toHaveLength(25);
    expect(skipped.every((line) => line.level === 'info')).toBe(true);
  });

  it('skips, on redelivery within the claim, the customers a first delivery took over, and polls the ones it never started', async () => {
    const { deps, claimed, advance } = await claimedFleet(10);
    const [message] = workMessages(claimed);
    // The first delivery runs out of time as its 4th customer is fetched: 6 are never started.
    let fetches = 0;
    deps.source.beforeFetch = () => {
      if (++fetches === 4) advance(10);
    };
    const first = await pollWork(message!, deps, {
      ...options,
      inFlightLimit: () => 1,
      deadline: deps.now() + 5,
    });
    expect(first).toMatchObject({ unstarted: 6, polled: 4 });
    advance(4_000);
    const again = await pollWork(message!, deps, { ...options, takeOverAs: 'delivery-2' });
    expect(again).toMatchObject({ unstarted: 0, polled: 6, notTakenOver: 4 });
    expect(deps.source.calls).toBe(10);
    const keys = deps.publisher.published.map((event) => event.key);
    expect(keys).toHaveLength(10);
    expect(new Set(keys).size).toBe(10);
  });

  it('polls nothing for a message that arrives after a later tick claimed its customers again', async () => {
    const { deps, claimed, advance } = await claimedFleet(5);
    const [message] = workMessages(claimed);
    await pollWork(message!, deps, options);
    // A minute on the customers are due again and a later tick claims them, while a late copy
    // of the first message is still on its way; its claims have not expired yet.
    advance(61_000);
    const later: ClaimedCustomer[] = [];
    for await (const customer of claimDue(deps, {
      owner: 'tick-2',
      now: deps.now(),
      policy,
      claimMs: 120_000,
    })) {
      later.push(customer);
    }
    expect(later).toHaveLength(5);
    expect(later[0]!.claimedUntil).toBeGreaterThan(message!.customers[0]!.claimedUntil);
    const calls = deps.source.calls;
    const stale = await pollWork(message!, deps, { ...options, takeOverAs: 'delivery-late' });
    expect(stale).toMatchObject({ polled: 0, notTakenOver: 5, claimsLost: 0 });
    expect(deps.source.calls).toBe(calls);
    // The later tick's own message still polls every customer.
    const current = await pollWork(workMessages(later)[0]!, deps, options);
    expect(current).toMatchObject({ polled: 5, notTakenOver: 0 });
  });
});

describe('deliveryClaimToken', () => {
  it('differs between two receives of one message and between two invocations of one receive', () => {
    const token = deliveryClaimToken({ messageId: 'm-1', receiveCount: '1', invocationId: 'a' });
    expect(token).not.toBe(
      deliveryClaimToken({ messageId: 'm-1', receiveCount: '2', invocationId: 'a' }),
    );
    expect(token).not.toBe(
      deliveryClaimToken({ messageId: 'm-1', receiveCount: '1', invocationId: 'b' }),
    );
    expect(token).toContain('m-1');
  });
});
