import { beforeEach, describe, expect, it } from 'vitest';
import { apiEvent } from '../../../test/support/in-memory-ports.js';
import { type PollHarness, pollHarness } from '../../../test/support/poll-harness.js';
import { type CapillaryEvent, parseEventWindow } from '../capillary-event.js';
import { type CustomerState, newCustomerState } from '../customer-state.js';
import { pollCustomer } from '../poll/poll-customer.js';
import type { CustomerEventsSource, FetchedEvents } from '../ports.js';
import { seenDigest } from './seen-digest.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const options = { psiMode: 'mask' as const, seenCapacity: 50, version: '1.2.3' };

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
}

/** Serves raw `data` as the Capillary client does: each event validated on its own. */
class RawSource implements CustomerEventsSource {
  data: unknown[] = [];
  async fetchEvents(): Promise<FetchedEvents> {
    return { ...parseEventWindow(this.data), warnings: [] };
  }
}

describe('one event that cannot be published never blocks its customer', () => {
  const valid1 = apiEvent({ uniqueId: 'v1', date: '2025-05-08T08:00:00Z', eventName: 'One' });
  const valid2 = apiEvent({ uniqueId: 'v2', date: '2025-05-08T09:00:00Z', eventName: 'Two' });
  const deepNoIds = {
    ...apiEvent({ uniqueId: null, eventId: null, date: '2025-05-08T08:30:00Z' }),
    additonalAttributes: { deep: nested(100_000) },
  };
  const badDate = apiEvent({ uniqueId: 'bad-date', date: 'the day after tomorrow' });

  let harness: PollHarness<true>;
  let source: RawSource;
  const current = async () => (await harness.store.getCustomer('42')) as CustomerState;

  beforeEach(async () => {
    harness = pollHarness({ now: NOW.getTime(), deadLetters: true });
    source = new RawSource();
    await harness.store.addCustomer(
      newCustomerState({ customerId: '42', scope: 'default', backfill: true }, NOW),
    );
  });

  it('parks a 100,000-level event and an undatable one, publishes the others in order, once', async () => {
    source.data = [valid2, badDate, deepNoIds, valid1];
    const deps = { ...harness, source };

    const first = await pollCustomer(await current(), deps, options);
    expect(first).toMatchObject({ status: 'ok', published: 2, parked: 2, unpublished: [] });
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['v1', 'v2']);
    const reasons = harness.deadLetters.parked.map((item) => item.reason);
    expect(reasons).toEqual([
      expect.stringMatching(/^event bad-date at position 1 of the response.*date: not a date/),
      expect.stringMatching(
        /^event unreadable:sha256:[0-9a-f]{64} at position 2 of the response.*nested more than 64 levels/,
      ),
    ]);

    const second = await pollCustomer(await current(), deps, options);
    expect(second).toMatchObject({ status: 'ok', published: 0, parked: 0 });
    expect(harness.deadLetters.parked).toHaveLength(2);
    expect(harness.publisher.published).toHaveLength(2);
  });

  it('without a dead-letter queue, reports the event by key and position on every poll', async () => {
    source.data = [valid2, badDate, valid1];
    const deps = { ...harness, source, deadLetters: undefined };
    for (let pollNumber = 0; pollNumber < 3; pollNumber++) {
      const result = await pollCustomer(await current(), deps, options);
      expect(result.unpublished).toEqual([
        {
          key: 'bad-date',
          eventName: 'TestingEvent_FE',
          reason: expect.stringMatching(/event bad-date at position 1 .*no dead-letter queue/),
        },
      ]);
    }
    expect(harness.publisher.published.map((event) => event.key)).toEqual(['v1', 'v2']);
    expect((await current()).seen.map((entry) => entry.digest).sort()).toEqual(
      ['v1', 'v2'].map(seenDigest).sort(),
    );
  });

  it('sets aside an id-less event too deep to key even when the source did not check it', async () => {
    const [checked] = parseEventWindow([valid1]).events as [CapillaryEvent];
    const deep: CapillaryEvent = {
      ...checked,
      uniqueId: null,
      eventId: null,
      additonalAttributes: { deep: nested(100_000) },
    };
    const unchecked: CustomerEventsSource = {
      fetchEvents: async () => ({ events: [checked, deep], warnings: [] }),
    };
    const deps = { ...harness, source: unchecked };
    const result = await pollCustomer(await current(), deps, options);
    expect(result).toMatchObject({ status: 'ok', published: 1, parked: 1 });
    expect(harness.deadLetters.parked[0]?.reason).toMatch(
      /position 1 .*nested more than 64 levels/,
    );
  });

  it('counts an identity once: a set-aside event with the key of a valid one is dropped', async () => {
    const twin = { ...badDate, uniqueId: 'v1' };
    source.data = [valid2, twin, valid1];
    const deps = { ...harness, source };
    const result = await pollCustomer(await current(), deps, options);
    expect(result).toMatchObject({ status: 'ok', published: 2, parked: 0, unpublished: [] });
    expect((await current()).seen.map((entry) => entry.digest).sort()).toEqual(
      ['v1', 'v2'].map(seenDigest).sort(),
    );
  });
});

describe('a baseline customer and an event that cannot be published', () => {
  it('records one dated before the watch began, parks one dated after it', async () => {
    const harness = pollHarness({ now: NOW.getTime(), deadLetters: true });
    const source = new RawSource();
    await harness.store.addCustomer(
      newCustomerState({ customerId: '42', scope: 'default', backfill: false }, NOW),
    );
    const deep = (uniqueId: string, date: string) => ({
      ...apiEvent({ uniqueId, date }),
      additonalAttributes: { deep: nested(100) },
    });
    source.data = [
      deep('deep-after', '2026-01-01T00:00:05Z'),
      deep('deep-before', '2025-05-08T08:00:00Z'),
    ];
    const state = (await harness.store.getCustomer('42')) as CustomerState;

    const first = await pollCustomer(state, { ...harness, source }, options);
    expect(first).toMatchObject({ status: 'ok', baselined: true, published: 0, parked: 1 });
    expect(harness.deadLetters.parked.map((item) => item.event.key)).toEqual(['deep-after']);
    const after = (await harness.store.getCustomer('42')) as CustomerState;
    expect(after.seen.map((entry) => entry.digest).sort()).toEqual(
      ['deep-after', 'deep-before'].map(seenDigest).sort(),
    );
  });
});
