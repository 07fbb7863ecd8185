import { describe, expect, it } from 'vitest';
import { pollHarness, slowFetches, watchFleet } from '../../test/support/poll-harness.js';
import { claimDue } from './claim-due.js';
import type { ClaimedCustomer } from './claimed-customer.js';
import { pollWork } from './poll-work.js';
import { workMessages } from './work-queue.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const policy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };
const options = {
  psiMode: 'mask' as const,
  seenCapacity: 50,
  version: 'test',
  concurrency: 4,
  policy,
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
    const { summary, unstarted } = await pollWork(message!, deps, options);
    expect(unstarted).toBe(0);
    expect(summary).toMatchObject({ claimed: 25, polled: 24, published: 24, claimsLost: 0 });
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
    const { summary, unstarted } = await pollWork(workMessages(claimed)[0]!, deps, {
      ...options,
      deadline: NOW,
    });
    expect(unstarted).toBe(10);
    expect(summary).toMatchObject({ polled: 0, deferred: 10 });
    expect(deps.source.calls).toBe(0);
  });

  it('skips a redelivered message’s customers once their claims have expired, publishing nothing', async () => {
    const { deps, claimed, advance } = await claimedFleet(5);
    advance(121_000);
    const { summary, unstarted } = await pollWork(workMessages(claimed)[0]!, deps, options);
    expect(unstarted).toBe(0);
    expect(summary).toMatchObject({ polled: 0, claimsLost: 5, published: 0 });
    expect(deps.source.calls).toBe(0);
  });

  it('publishes nothing twice when a message comes back after its customers were done', async () => {
    const { deps, claimed } = await claimedFleet(5);
    const [message] = workMessages(claimed);
    await pollWork(message!, deps, options);
    const again = await pollWork(message!, deps, options);
    expect(deps.publisher.published).toHaveLength(5);
    expect(again.summary.published).toBe(0);
  });
});
