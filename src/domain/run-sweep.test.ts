import { describe, expect, it } from 'vitest';
import {
  apiEvent,
  captureLogger,
  InMemoryCursorStore,
  RecordingPublisher,
  ScriptedSource,
} from '../../test/support/in-memory-ports.js';
import { newCustomerState } from './customer-state.js';
import { boundedSummary, runSweep } from './run-sweep.js';

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
  const store = new InMemoryCursorStore();
  const source = new ScriptedSource();
  const publisher = new RecordingPublisher();
  for (let index = 1; index <= count; index++) {
    const customerId = String(index);
    await store.addCustomer(
      newCustomerState({ customerId, scope: 'default', backfill: true }, NOW),
    );
    source.setWindow(customerId, [
      apiEvent({ uniqueId: `event-of-${customerId}`, date: '2025-12-31T23:00:00Z' }),
    ]);
  }
  return { store, source, publisher, logger: captureLogger(), clock: () => NOW };
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
    let running = 0;
    let peak = 0;
    const fetch = deps.source.fetchEvents.bind(deps.source);
    deps.source.fetchEvents = async (customer) => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running--;
      return fetch(customer);
    };
    const summary = await runSweep(deps, options);
    expect(summary.polled).toBe(20);
    expect(peak).toBe(3);
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
    let now = NOW.getTime();
    deps.clock = () => new Date(now);
    const fetch = deps.source.fetchEvents.bind(deps.source);
    deps.source.fetchEvents = async (customer) => {
      now += 1000;
      return fetch(customer);
    };
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
    let now = NOW.getTime();
    deps.clock = () => new Date(now);
    const fetch = deps.source.fetchEvents.bind(deps.source);
    deps.source.fetchEvents = async (customer) => {
      now += 5000; // a slow answer
      return fetch(customer);
    };
    const before = structuredClone([...deps.store.states.values()]);
    const summary = await runSweep(deps, { ...options, publishBy: NOW.getTime() + 1000 });
    expect(summary).toMatchObject({ polled: 0, deferred: 2, published: 0, failures: [] });
    expect(deps.publisher.published).toEqual([]);
    expect([...deps.store.states.values()]).toEqual(before);
  });

  it('names customers whose new events could not be published', async () => {
    const deps = await setup(2);
    deps.publisher.decide = (event) =>
      event.customerId === '2'
        ? { key: event.key, status: 'failed', reason: 'ThrottlingException' }
        : { key: event.key, status: 'published' };
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
