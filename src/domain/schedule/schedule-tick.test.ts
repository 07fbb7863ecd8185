import { describe, expect, it } from 'vitest';
import { captureLogger, InMemoryCursorStore } from '../../../test/support/in-memory-ports.js';
import { newCustomerState } from '../customer-state.js';
import { runTick, tickLimit } from './schedule-tick.js';
import type { WorkMessage, WorkQueue, WorkSendOutcome } from './work-queue.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const policy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };

class RecordingWorkQueue implements WorkQueue {
  readonly batches: WorkMessage[][] = [];
  refuse = new Set<number>();
  async send(messages: readonly WorkMessage[]): Promise<WorkSendOutcome[]> {
    const index = this.batches.length;
    this.batches.push([...messages]);
    return messages.map((_, position) =>
      this.refuse.has(index * 10 + position)
        ? { sent: false, reason: 'AccessDenied' }
        : { sent: true },
    );
  }
  get customers(): string[] {
    return this.batches.flat().flatMap((message) => message.customers.map((c) => c.customerId));
  }
}

async function setup(count: number) {
  const store = new InMemoryCursorStore();
  for (let index = 1; index <= count; index++) {
    await store.addCustomer(
      newCustomerState(
        { customerId: String(index), scope: 'default', backfill: false },
        new Date(NOW),
      ),
    );
  }
  const workQueue = new RecordingWorkQueue();
  const deps = { store, workQueue, logger: captureLogger(), clock: () => new Date(NOW + 1_000) };
  return { store, workQueue, deps };
}

const tick = (limit: number, overrides = {}) => ({
  owner: 'tick-1',
  now: NOW + 1_000,
  limit,
  policy,
  claimMs: 120_000,
  ...overrides,
});

describe('runTick', () => {
  it('claims due customers up to the limit and queues them in messages of up to 25', async () => {
    const { store, workQueue, deps } = await setup(60);
    const summary = await runTick(deps, tick(55));
    expect(summary).toMatchObject({ claimed: 55, queued: 55, notQueued: [], deferred: 5 });
    expect(workQueue.batches).toHaveLength(1);
    expect(workQueue.batches[0]?.map((message) => message.customers.length)).toEqual([25, 25, 5]);
    expect(new Set(workQueue.customers).size).toBe(55);
    // Each queued customer is claimed by this tick, until the claim expires.
    for (const customerId of workQueue.customers) {
      expect(store.schedules.get(customerId)).toMatchObject({
        claimOwner: 'tick-1',
        claimedUntil: NOW + 1_000 + 120_000,
      });
    }
    const message = workQueue.batches[0]?.[0]?.customers[0];
    expect(message).toMatchObject({ claimOwner: 'tick-1', claimedUntil: NOW + 121_000 });
  });

  it('sends every 250 claims, so workers start while it claims', async () => {
    const { workQueue, deps } = await setup(600);
    const summary = await runTick(deps, tick(600));
    expect(summary.queued).toBe(600);
    expect(workQueue.batches.map((batch) => batch.length)).toEqual([10, 10, 4]);
  });

  it('claims nothing a second tick while the first one’s claims hold', async () => {
    const { workQueue, deps } = await setup(30);
    await runTick(deps, tick(30));
    const second = await runTick(deps, tick(30, { owner: 'tick-2' }));
    expect(second.claimed).toBe(0);
    expect(workQueue.customers).toHaveLength(30);
  });

  it('reports the customers whose message SQS refused (their claims expire; a later tick takes them)', async () => {
    const { workQueue, deps } = await setup(50);
    workQueue.refuse.add(1);
    const summary = await runTick(deps, tick(50));
    expect(summary.queued).toBe(25);
    expect(summary.notQueued).toHaveLength(25);
    expect(summary.notQueued[0]).toEqual({
      customerId: expect.any(String),
      reason: 'AccessDenied',
    });
    expect(deps.logger.lines.some((line) => line.message.includes('not queued'))).toBe(true);
  });

  it('stops claiming at its deadline, and counts what stays due and how stale it is', async () => {
    const { deps } = await setup(10);
    // Ten customers due for two hours: beyond the one-hour staleness bound.
    const later = NOW + 2 * 3_600_000;
    const summary = await runTick(
      { ...deps, clock: () => new Date(later) },
      tick(10, {
        now: later,
        deadline: later,
      }),
    );
    expect(summary.claimed).toBe(1);
    expect(summary.deferred).toBe(9);
    expect(summary.overdue).toBe(9);
    expect(summary.oldestStalenessSeconds).toBeGreaterThan(3_600);
  });

  it('skips a customer whose claim throws, logs and counts it, and goes on with the others', async () => {
    const { store, workQueue, deps } = await setup(30);
    // Throttled past its retries, or any store error: only this customer's claim fails.
    const claim = store.claim.bind(store);
    store.claim = async (due, request) => {
      if (due.customerId === '1') throw new Error('ProvisionedThroughputExceededException');
      return claim(due, request);
    };
    // Not polled for two hours: past the longest interval, so overdue while it cannot be claimed.
    const schedule = store.schedules.get('1');
    if (schedule) schedule.nextPollAt = NOW - 7_200_000;

    const summary = await runTick(deps, tick(30));
    expect(summary).toMatchObject({ claimed: 29, queued: 29, claimErrors: 1, overdue: 1 });
    expect(workQueue.customers).not.toContain('1');
    expect(summary.oldestStalenessSeconds).toBeGreaterThanOrEqual(7_200);
    expect(deps.logger.lines).toContainEqual({
      level: 'error',
      message: 'Customer not claimed; skipped until a later tick or sweep',
      attributes: { customerId: '1', reason: 'ProvisionedThroughputExceededException' },
    });
  });
});

describe('tickLimit', () => {
  it('claims the quota of one tick: requests per second × interval', () => {
    expect(tickLimit(10, 60, undefined)).toBe(600);
    expect(tickLimit(1.6, 60, undefined)).toBe(96);
  });

  it('claims at least one customer, and at most SWEEP_MAX_POLLS', () => {
    expect(tickLimit(0.01, 60, undefined)).toBe(1);
    expect(tickLimit(10, 60, 50)).toBe(50);
  });

  it('takes hinted customers first, up to the lane limit, and leaves the rest of the tick to the schedule', async () => {
    const { store, workQueue, deps } = await setup(10);
    for (const id of ['7', '8', '9']) await store.markHinted(id, NOW + 500);
    const summary = await runTick(deps, tick(5, { laneLimit: 2 }));
    expect(summary.claimed).toBe(5);
    // Two from the lane (ids break the tie of equal hint times), then the most overdue.
    expect(workQueue.customers).toEqual(['7', '8', '1', '10', '2']);
    const next = await runTick(deps, tick(5, { laneLimit: 2 }));
    expect(next.claimed).toBe(5);
    expect(workQueue.customers.slice(5)).toEqual(['9', '3', '4', '5', '6']);
  });

  it('claims from the lane and the due index all the same when the backstop walk fails', async () => {
    const { store, workQueue, deps } = await setup(3);
    store.walkOffIndex = async () => {
      throw new Error('AccessDeniedException: not authorized to perform dynamodb:Scan');
    };
    const backstop = { intervalMs: 86_400_000, feedHealthy: true };
    const summary = await runTick(deps, tick(5, { backstop }));
    expect(summary.claimed).toBe(3);
    expect(workQueue.customers).toEqual(['1', '2', '3']);
    expect(deps.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'Backstop walk failed; customers off the due index wait a tick',
      }),
    );
  });

  it('offers the customers the walk found most urgent first among the indexed ones, and puts back on the index those a full tick had no room for', async () => {
    const { store, workQueue, deps } = await setup(2);
    let advanced = 0;
    const putBack: { customerId: string; dueAt: number }[] = [];
    const walkedAt = (customerId: string, lastPolledAt: number) => ({
      customerId,
      nextPollAt: NOW + 3_600_000,
      idlePolls: 3,
      lastPolledAt,
      claimedUntil: null,
    });
    store.walkOffIndex = async () => ({
      // 90 passes its one-day bound before the indexed customers came due; 91 an hour after.
      customers: [walkedAt('91', NOW - 82_800_000), walkedAt('90', NOW - 86_400_000 - 1)],
      advance: async () => {
        advanced++;
      },
      putBackOnIndex: async (left) => {
        putBack.push(
          ...left.map(({ customer, dueAt }) => ({ customerId: customer.customerId, dueAt })),
        );
      },
    });
    // The in-memory store claims only what it schedules: give it the walked two.
    for (const id of ['90', '91']) {
      await store.addCustomer(
        newCustomerState({ customerId: id, scope: 'default', backfill: false }, new Date(NOW)),
      );
      Object.assign(store.schedules.get(id) ?? {}, { idlePolls: 3 });
    }
    await store.markHinted('2', NOW + 500);
    const backstop = { intervalMs: 86_400_000, feedHealthy: true };
    const summary = await runTick(deps, tick(3, { backstop, laneLimit: 1 }));
    expect(summary.claimed).toBe(3);
    expect(workQueue.customers).toEqual(['2', '90', '1']);
    // 91 had no room: back on the index, due at its deadline, and the walk goes on.
    expect(putBack).toEqual([{ customerId: '91', dueAt: NOW + 3_600_000 }]);
    expect(advanced).toBe(1);
  });
});
