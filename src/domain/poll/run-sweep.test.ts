import { describe, expect, it } from 'vitest';
import { apiEvent } from '../../../test/support/in-memory-ports.js';
import { pollHarness, slowFetches, watchFleet } from '../../../test/support/poll-harness.js';
import { newCustomerState } from '../customer-state.js';
import { boundedSummary } from './poll-summary.js';
import { runSweep } from './run-sweep.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const options = {
  psiMode: 'mask' as const,
  seenCapacity: 50,
  version: 'test',
  concurrency: 3,
  policy: { minIntervalMs: 60_000, maxIntervalMs: 60_000 },
  claimSeconds: 120,
};

async function setup(count: number) {
  const deps = pollHarness({ now: NOW.getTime() });
  await watchFleet(deps, count);
  return deps;
}

describe('runSweep', () => {
  it('polls every active customer and isolates one failure from the others', async () => {
    const deps = await setup(10);
    deps.source.fail('4', 'HTTP 429 after 4 attempts');
    const summary = await runSweep(deps, options);
    expect(summary).toMatchObject({ polled: 9, published: 9, newEvents: 9, maxLagMs: 3_600_000 });
    expect(summary.failures).toEqual([{ customerId: '4', reason: 'HTTP 429 after 4 attempts' }]);
    expect(deps.publisher.published).toHaveLength(9);
  });

  it('never runs more polls at once than the concurrency allows', async () => {
    const deps = await setup(20);
    slowFetches(deps.source, 2);
    const summary = await runSweep(deps, options);
    expect(summary.polled).toBe(20);
    expect(deps.source.peakInFlight).toBe(3);
  });

  it('skips paused customers: they leave the due list', async () => {
    const deps = await setup(2);
    expect(await deps.store.setStatus('2', 'paused', NOW.getTime())).toBe('paused');
    const summary = await runSweep(deps, options);
    expect(summary).toMatchObject({ claimed: 1, polled: 1 });
    expect(deps.publisher.published.map((event) => event.customerId)).toEqual(['1']);
  });

  it('starts no customer after the deadline and counts them as deferred', async () => {
    const deps = await setup(5);
    deps.source.beforeFetch = () => deps.advance(1000);
    const summary = await runSweep(deps, {
      ...options,
      concurrency: 1,
      deadline: NOW.getTime() + 2000,
    });
    expect(summary).toMatchObject({ polled: 2, deferred: 3 });
    expect(deps.source.calls).toBe(2);
  });

  it('does not publish a window fetched after the publish deadline, and changes nothing', async () => {
    const deps = await setup(2);
    deps.source.beforeFetch = () => deps.advance(5000); // a slow answer
    const before = structuredClone([...deps.store.states.values()]);
    const summary = await runSweep(deps, { ...options, publishBy: NOW.getTime() + 1000 });
    expect(summary).toMatchObject({ polled: 0, deferred: 2, published: 0, failures: [] });
    expect(deps.publisher.published).toEqual([]);
    expect([...deps.store.states.values()]).toEqual(before);
  });

  it('names customers whose new events could not be published', async () => {
    const deps = await setup(2);
    deps.publisher.refuse('event-of-2', 'failed', 'ThrottlingException');
    const summary = await runSweep(deps, options);
    expect(summary.unpublished).toEqual([
      {
        customerId: '2',
        key: 'event-of-2',
        eventName: 'TestingEvent_FE',
        reason: 'ThrottlingException',
      },
    ]);
    expect(summary.failures.map((failure) => failure.customerId)).toEqual(['2']);
  });
});

describe('runSweep: who is polled when', () => {
  it('is fair: 400 customers, 50 polls a sweep, tiers off: 8 sweeps poll each customer exactly once', async () => {
    const deps = await setup(400);
    for (let sweep = 0; sweep < 8; sweep++) {
      const summary = await runSweep(deps, { ...options, maxPolls: 50 });
      expect(summary).toMatchObject({ claimed: 50, polled: 50 });
      deps.advance(1_000); // sweeps back to back, well within the 60 s interval
    }
    const polls = new Map<string, number>();
    for (const customerId of deps.source.fetched) {
      polls.set(customerId, (polls.get(customerId) ?? 0) + 1);
    }
    expect(polls.size).toBe(400);
    expect(new Set(polls.values())).toEqual(new Set([1]));
  });

  it('polls active customers every sweep; idle ones back off and are still polled within the longest interval', async () => {
    const deps = await setup(6);
    const policy = { minIntervalMs: 60_000, maxIntervalMs: 480_000 };
    const pollTimes = new Map<string, number[]>();
    deps.source.beforeFetch = (customerId) => {
      pollTimes.set(customerId, [...(pollTimes.get(customerId) ?? []), deps.now()]);
    };
    const active = ['1', '2'];
    const sweeps = 30;
    for (let sweep = 0; sweep < sweeps; sweep++) {
      // Customers 1 and 2 get a new event before every sweep; 3 to 6 never do.
      for (const customerId of active) {
        const window = [
          apiEvent({ uniqueId: `event-of-${customerId}`, date: '2025-12-31T23:00:00Z' }),
        ];
        for (let n = 1; n <= sweep; n++) {
          window.unshift(
            apiEvent({ uniqueId: `${customerId}-${n}`, date: deps.clock().toISOString() }),
          );
        }
        deps.source.setWindow(customerId, window);
      }
      await runSweep(deps, { ...options, policy });
      deps.advance(60_000);
    }
    for (const customerId of active) expect(pollTimes.get(customerId)).toHaveLength(sweeps);
    for (const customerId of ['3', '4', '5', '6']) {
      const times = pollTimes.get(customerId) ?? [];
      const gaps = times.slice(1).map((time, index) => time - (times[index] as number));
      // The first poll backfills an event (active: 60 s), then each idle poll doubles the
      // interval up to the 480 s staleness bound.
      expect(gaps.slice(0, 5)).toEqual([60_000, 120_000, 240_000, 480_000, 480_000]);
      expect(Math.max(...gaps)).toBe(480_000);
      expect(deps.now() - 60_000 - (times.at(-1) as number)).toBeLessThan(480_000);
      expect(times.length).toBeLessThan(sweeps / 3);
    }
  });

  it('stops reading the due list once its budget is spent, apart from a bounded look for overdue ones', async () => {
    const deps = await setup(100);
    let read = 0;
    const due = deps.store.dueCustomers.bind(deps.store);
    deps.store.dueCustomers = async function* (now: number) {
      for await (const customer of due(now)) {
        read++;
        yield customer;
      }
    };
    const summary = await runSweep(deps, { ...options, maxPolls: 5, overdueScanLimit: 10 });
    expect(summary).toMatchObject({ claimed: 5, deferred: 10 });
    expect(read).toBe(15);
  });

  it('counts the customers left overdue and the oldest staleness', async () => {
    const deps = await setup(0);
    const watchedAt = new Date(NOW.getTime() - 2 * 3_600_000);
    for (const customerId of ['1', '2', '3', '4', '5']) {
      await deps.store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: true }, watchedAt),
      );
    }
    const policy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };
    const summary = await runSweep(deps, { ...options, policy, maxPolls: 2 });
    expect(summary).toMatchObject({
      claimed: 2,
      deferred: 3,
      overdue: 3,
      // Never polled, watched 2 h ago: counted from then, plus one shortest interval.
      oldestStalenessSeconds: 2 * 3600 + 60,
    });
  });

  it('reports a customer whose claim fails and polls the others', async () => {
    const deps = await setup(3);
    const claim = deps.store.claim.bind(deps.store);
    deps.store.claim = async (due, request) => {
      if (due.customerId === '2') throw new Error('schedule item unreadable');
      return claim(due, request);
    };
    const summary = await runSweep(deps, options);
    expect(summary).toMatchObject({ claimed: 2, polled: 2 });
    expect(summary.failures).toEqual([
      { customerId: '2', reason: 'not claimed: schedule item unreadable' },
    ]);
  });

  it('reads the in-flight limit before each claim, so it can follow the quota', async () => {
    const deps = await setup(12);
    deps.source.beforeFetch = () => new Promise((resolve) => setImmediate(resolve));
    const peaks = deps.source.inFlightAtStart;
    let limit = 1;
    const summary = await runSweep(deps, {
      ...options,
      inFlightLimit: () => {
        if (peaks.length >= 4) limit = 4;
        return limit;
      },
    });
    expect(summary.polled).toBe(12);
    expect(Math.max(...peaks.slice(0, 4))).toBe(1);
    expect(Math.max(...peaks)).toBe(4);
  });
});

describe('boundedSummary', () => {
  it('keeps the first entries of each list and the full counts', async () => {
    const deps = await setup(30);
    for (let index = 1; index <= 30; index++) deps.source.fail(String(index), `HTTP 503 #${index}`);
    const summary = await runSweep(deps, options);
    const bounded = boundedSummary(summary, 5);
    expect(bounded.failures).toEqual(summary.failures.slice(0, 5));
    expect(bounded).toMatchObject({ failureCount: 30, unpublishedCount: 0 });
    expect(JSON.stringify(bounded).length).toBeLessThan(JSON.stringify(summary).length);
  });
});
