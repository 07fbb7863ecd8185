import { describe, expect, it } from 'vitest';
import { apiEvent } from '../../../test/support/in-memory-ports.js';
import { pollHarness, watchFleet } from '../../../test/support/poll-harness.js';
import { newClaimOwner } from '../claim/claim-due.js';
import { newCustomerState } from '../customer-state.js';
import { pollNamed } from './poll-named.js';
import { runSweep } from './run-sweep.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const MINUTE = 60_000;
const options = {
  psiMode: 'mask' as const,
  seenCapacity: 50,
  version: 'test',
  concurrency: 3,
  policy: { minIntervalMs: MINUTE, maxIntervalMs: 16 * MINUTE },
  claimSeconds: 120,
  owner: newClaimOwner('test'),
};

/** Customers 1 to 4, each polled once by a sweep: none is due for a while. */
async function polledFleet() {
  const deps = pollHarness({ now: NOW });
  await watchFleet(deps, 4);
  expect((await runSweep(deps, options)).polled).toBe(4);
  deps.advance(10_000);
  return deps;
}

describe('pollNamed', () => {
  it('polls a named customer that is not due yet, now, and moves its schedule on', async () => {
    const deps = await polledFleet();
    expect([...(await collect(deps.store.dueCustomers(deps.now())))]).toEqual([]);
    deps.source.setWindow('2', [
      apiEvent({ uniqueId: 'second-of-2', date: '2026-01-01T00:00:05Z' }),
      apiEvent({ uniqueId: 'event-of-2', date: '2025-12-31T23:00:00Z' }),
    ]);

    const summary = await pollNamed(deps, ['2'], options);

    expect(summary).toMatchObject({ claimed: 1, polled: 1, newEvents: 1, published: 1 });
    expect(summary.failures).toEqual([]);
    expect(deps.publisher.published.map((event) => event.detail.uniqueId).at(-1)).toBe(
      'second-of-2',
    );
    // Polled now, so next due one shortest interval from now (it found something).
    expect(deps.store.schedules.get('2')).toMatchObject({
      nextPollAt: deps.now() + MINUTE,
      idlePolls: 0,
      lastPolledAt: deps.now(),
      claimOwner: undefined,
    });
    // The others were not touched.
    expect(deps.store.schedules.get('1')?.lastPolledAt).toBe(NOW);
  });

  it('reports an unknown, a paused and a held customer each with why, and polls the others', async () => {
    const deps = await polledFleet();
    await deps.store.addCustomer(
      newCustomerState({ customerId: '5', scope: 'default', backfill: false }, deps.clock()),
    );
    expect(await deps.store.setStatus('3', 'paused', deps.now())).toBe('paused');
    const held = deps.store.schedules.get('4');
    if (!held) throw new Error('customer 4 has no schedule');
    Object.assign(held, { claimOwner: 'another-poller', claimedUntil: deps.now() + 30_000 });
    const polledBefore = deps.source.calls;

    const summary = await pollNamed(deps, ['1', '99', '3', '4', '5'], options);

    expect(summary.failures).toEqual([
      { customerId: '99', reason: 'not watched' },
      { customerId: '3', reason: 'paused: `watch resume` it first' },
      {
        customerId: '4',
        reason: `held by another poll until ${new Date(deps.now() + 30_000).toISOString()} (one in flight, or an idle one that just ended): try again then`,
      },
    ]);
    expect(summary).toMatchObject({ claimed: 2, polled: 2, baselined: 1 });
    expect(deps.source.calls - polledBefore).toBe(2);
    expect(held.claimOwner).toBe('another-poller');
  });

  it('loses to a poller that claims the customer between the read and the claim', async () => {
    const deps = await polledFleet();
    const scheduleOf = deps.store.scheduleOf.bind(deps.store);
    deps.store.scheduleOf = async (customerId) => {
      const read = await scheduleOf(customerId);
      // Another poller polls it meanwhile: its tier changes, so the claim's condition fails.
      const schedule = deps.store.schedules.get(customerId);
      if (schedule) schedule.idlePolls += 1;
      return read;
    };
    const summary = await pollNamed(deps, ['1'], options);
    expect(summary.failures).toEqual([
      {
        customerId: '1',
        reason: 'changed while it was being claimed (another poller took it): try again',
      },
    ]);
    expect(summary.claimed).toBe(0);
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
