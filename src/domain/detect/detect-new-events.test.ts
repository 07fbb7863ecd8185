import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apiEvent } from '../../../test/support/in-memory-ports.js';
import { pollHarness } from '../../../test/support/poll-harness.js';
import { CapillaryEventSchema } from '../capillary-event.js';
import { type CustomerState, newCustomerState } from '../customer-state.js';
import { pollCustomer } from '../poll/poll-customer.js';
import {
  advanceCursor,
  BASELINE_SKEW_ALLOWANCE_MS,
  detectNewEvents,
  keyWindow,
  predatesWatch,
} from './detect-new-events.js';
import { seenDigest, seenEntry } from './seen-digest.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const parse = (events: Record<string, unknown>[]) =>
  events.map((event) => CapillaryEventSchema.parse(event));
const tracking = (overrides: Partial<CustomerState> = {}): CustomerState => ({
  ...newCustomerState({ customerId: '1', scope: 'default', backfill: false }, NOW),
  mode: 'tracking',
  ...overrides,
});
/** The keyed window of API events listed newest first, as the API sends them. */
const windowOf = (...events: Record<string, unknown>[]) => keyWindow(parse(events));
const keysOf = (events: { key: string }[]) => events.map((event) => event.key);

describe('keyWindow', () => {
  it('orders the newest-first API window oldest first, ties by API position', () => {
    const window = windowOf(
      apiEvent({ uniqueId: 'c', date: '2025-05-08T08:56:57Z' }),
      apiEvent({ uniqueId: 'b2', date: '2025-05-08T08:40:38Z' }),
      apiEvent({ uniqueId: 'b1', date: '2025-05-08T08:40:38Z' }),
      apiEvent({ uniqueId: 'a', date: '2025-05-08T08:37:49Z' }),
    );
    expect(keysOf(window)).toEqual(['a', 'b1', 'b2', 'c']);
  });

  it('keys by uniqueId, else eventId, else a content hash, and counts a repeat once', () => {
    const window = windowOf(
      apiEvent({ uniqueId: 'u-1', eventId: 'e-1', date: '2025-05-08T08:00:03Z' }),
      apiEvent({ uniqueId: null, eventId: 'e-2', date: '2025-05-08T08:00:02Z' }),
      apiEvent({ uniqueId: null, eventId: null, date: '2025-05-08T08:00:01Z', note: 'x' }),
      apiEvent({ uniqueId: null, eventId: null, date: '2025-05-08T08:00:01Z', note: 'x' }),
    );
    expect(window).toHaveLength(3);
    expect(keysOf(window).slice(1)).toEqual(['e-2', 'u-1']);
    expect(window[0]?.key).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('detectNewEvents', () => {
  const window = windowOf(
    apiEvent({ uniqueId: 'late', date: '2025-05-08T08:10:00Z' }),
    apiEvent({ uniqueId: 'same-second-2', date: '2025-05-08T08:30:00Z' }),
    apiEvent({ uniqueId: 'same-second-1', date: '2025-05-08T08:30:00Z' }),
    apiEvent({ uniqueId: 'seen', date: '2025-05-08T08:20:00Z' }),
  );

  it('emits nothing for a baseline customer when everything predates the watch', () => {
    const state = newCustomerState({ customerId: '1', scope: 'default', backfill: false }, NOW);
    expect(detectNewEvents(state, window).fresh).toEqual([]);
  });

  it('emits everything present for a backfill customer, oldest first', () => {
    const state = newCustomerState({ customerId: '1', scope: 'default', backfill: true }, NOW);
    expect(keysOf(detectNewEvents(state, window).fresh)).toEqual([
      'late',
      'seen',
      'same-second-1',
      'same-second-2',
    ]);
  });

  it('catches a late event dated before the last seen one, and both events of one second', () => {
    const state = tracking({
      seen: [seenEntry('seen', Date.parse('2025-05-08T08:20:00Z'))],
      lastSeenId: 'seen',
      lastSeenDate: '2025-05-08T08:20:00.000Z',
    });
    expect(keysOf(detectNewEvents(state, window).fresh)).toEqual([
      'late',
      'same-second-1',
      'same-second-2',
    ]);
  });

  it('reports unknown events dated before the eviction floor instead of emitting them', () => {
    const state = tracking({ seenFloor: Date.parse('2025-05-08T08:15:00Z') });
    const detection = detectNewEvents(state, window);
    expect(keysOf(detection.belowFloor)).toEqual(['late']);
    expect(keysOf(detection.fresh)).not.toContain('late');
  });
});

describe('detectNewEvents at the floor', () => {
  it('emits an unknown event dated exactly at the floor: a same-second event is not an evicted one', () => {
    const at = Date.parse('2025-05-08T08:10:00Z');
    const window = windowOf(apiEvent({ uniqueId: 'tie', date: '2025-05-08T08:10:00Z' }));
    expect(keysOf(detectNewEvents(tracking({ seenFloor: at }), window).fresh)).toEqual(['tie']);
  });
});

describe('advanceCursor', () => {
  const window = windowOf(
    apiEvent({ uniqueId: 'b', date: '2025-05-08T08:20:00Z' }),
    apiEvent({ uniqueId: 'a', date: '2025-05-08T08:10:00Z' }),
  );

  it('writes nothing when nothing was acknowledged', () => {
    expect(
      advanceCursor(tracking(), {
        window,
        acknowledged: [],
        capacity: 10,
        now: NOW,
        windowDigest: null,
      }),
    ).toBeUndefined();
  });

  it('records the whole window on the baseline poll when all of it predates the watch, and switches to tracking', () => {
    const state = newCustomerState({ customerId: '1', scope: 'default', backfill: false }, NOW);
    const next = advanceCursor(state, {
      window,
      acknowledged: [],
      capacity: 10,
      now: NOW,
      windowDigest: null,
    });
    expect(next).toMatchObject({ mode: 'tracking', lastSeenId: 'b', version: 1 });
    expect(next?.seen.map((entry) => entry.digest)).toEqual(['a', 'b'].map(seenDigest));
  });

  it('moves only past acknowledged events', () => {
    const next = advanceCursor(tracking(), {
      window,
      acknowledged: [window[0]!],
      capacity: 10,
      now: NOW,
      windowDigest: null,
    });
    expect(next?.seen.map((entry) => entry.digest)).toEqual([seenDigest('a')]);
    expect(next?.lastSeenId).toBe('a');
  });

  it('evicts the oldest ids beyond capacity, never one still in the window, and raises the floor', () => {
    const old = Array.from({ length: 12 }, (_, index) => seenEntry(`old-${index}`, index));
    const next = advanceCursor(tracking({ seen: old }), {
      window,
      acknowledged: window,
      capacity: 10,
      now: NOW,
      windowDigest: null,
    });
    expect(next?.seen).toHaveLength(10);
    expect(next?.seen).toEqual([
      ...old.slice(4),
      seenEntry('a', window[0]!.at),
      seenEntry('b', window[1]!.at),
    ]);
    expect(next?.seenFloor).toBe(3);
  });

  it('keeps an old id the window still shows, evicting younger ones instead', () => {
    const old = Array.from({ length: 12 }, (_, index) => seenEntry(`old-${index}`, index));
    const stillShown = { key: 'old-0', at: 0, event: window[0]!.event };
    const next = advanceCursor(tracking({ seen: old }), {
      window: [stillShown],
      acknowledged: [],
      capacity: 10,
      now: NOW,
      windowDigest: null,
    });
    // Nothing new: the state is unchanged, so nothing to evict yet.
    expect(next).toBeUndefined();
    const grown = advanceCursor(tracking({ seen: old }), {
      window: [stillShown, ...window],
      acknowledged: window,
      capacity: 10,
      now: NOW,
      windowDigest: null,
    });
    expect(grown?.seen.map((entry) => entry.digest)).toContain(seenDigest('old-0'));
    expect(grown?.seen.map((entry) => entry.digest)).not.toContain(seenDigest('old-4'));
    expect(grown?.seenFloor).toBe(4);
  });
});

/**
 * A customer's history grows (late, same-second and id-less events included) while polls fetch
 * the newest window, sometimes fail, and sometimes fail to publish some events.
 */
describe('exactly once over random histories', () => {
  type Step =
    | { kind: 'add'; offsetSeconds: number; identity: 'unique' | 'eventId' | 'none' }
    | { kind: 'poll'; fetchFails: boolean; publishFailures: number[] };

  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      kind: fc.constant('add' as const),
      // Negative: a late event; zero: the same second as the previous one.
      offsetSeconds: fc.integer({ min: -30, max: 20 }),
      identity: fc.constantFrom('unique' as const, 'eventId' as const, 'none' as const),
    }),
    fc.record({
      kind: fc.constant('poll' as const),
      fetchFails: fc.boolean(),
      publishFailures: fc.array(fc.nat(5), { maxLength: 3 }),
    }),
  );

  it('publishes every event seen in a clean poll once, never twice, oldest first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 12 }),
        async (steps, windowSize, capacity) => {
          const deps = pollHarness({ now: NOW.getTime() });
          const { store, source, publisher } = deps;
          const options = { psiMode: 'mask' as const, seenCapacity: capacity, version: 'test' };
          await store.addCustomer(
            newCustomerState({ customerId: '7', scope: 'default', backfill: true }, NOW),
          );

          const history: {
            event: Record<string, unknown>;
            at: number;
            seq: number;
            key: string;
          }[] = [];
          let clock = Date.parse('2025-01-01T00:00:00Z');
          const mustPublish = new Set<string>();
          const poll = async (fetchFails: boolean, publishFailures: number[]) => {
            const window = [...history]
              .sort((a, b) => b.at - a.at || b.seq - a.seq)
              .slice(0, windowSize);
            source.setWindow(
              '7',
              window.map((entry) => entry.event),
            );
            if (fetchFails) source.fail('7', 'boom');
            let position = 0;
            publisher.decide = (event) =>
              publishFailures.includes(position++)
                ? { key: event.key, status: 'failed', reason: 'throttled' }
                : { key: event.key, status: 'published' };
            const before = publisher.published.length;
            const state = (await store.getCustomer('7')) as CustomerState;
            const result = await pollCustomer(state, deps, options);
            const batch = publisher.published.slice(before).map((event) => event.time.getTime());
            expect(batch).toEqual([...batch].sort((a, b) => a - b));
            if (!fetchFails && result.unpublished.length === 0) {
              for (const entry of window) mustPublish.add(entry.key);
            }
          };

          for (const [seq, current] of steps.entries()) {
            if (current.kind === 'poll') {
              await poll(current.fetchFails, current.publishFailures);
              continue;
            }
            clock += current.offsetSeconds * 1000;
            const id = `id-${seq}`;
            const event = apiEvent({
              date: new Date(clock).toISOString(),
              uniqueId: current.identity === 'unique' ? id : null,
              eventId: current.identity === 'eventId' ? id : null,
              marker: id,
            });
            const [keyed] = keyWindow([CapillaryEventSchema.parse(event)]);
            history.push({ event, at: clock - (clock % 1000), seq, key: keyed!.key });
          }
          await poll(false, []);
          await poll(false, []);

          const published = publisher.published.map((event) => event.key);
          expect(new Set(published).size).toBe(published.length);
          for (const key of mustPublish) expect(published).toContain(key);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('watch from now: the baseline poll', () => {
  // Watched at 10:00:00; the allowance reaches back to 09:59:00.
  const ADDED = new Date('2026-01-01T10:00:00Z');
  const baseline = newCustomerState({ customerId: '1', scope: 'default', backfill: false }, ADDED);
  const window = windowOf(
    apiEvent({ uniqueId: 'after-add', date: '2026-01-01T10:05:00Z' }),
    // Happened at 10:00:00.4 per Capillary: `date` has whole seconds, so it reads as the add itself.
    apiEvent({ uniqueId: 'same-second', date: '2026-01-01T10:00:00Z' }),
    // A Capillary clock 30 s behind the poller's that ran `watch add`.
    apiEvent({ uniqueId: 'within-allowance', date: '2026-01-01T09:59:30Z' }),
    apiEvent({ uniqueId: 'before-allowance', date: '2026-01-01T09:58:59Z' }),
    apiEvent({ uniqueId: 'long-before', date: '2025-05-08T08:00:00Z' }),
  );

  it('publishes what is dated after the watch began, less the skew allowance, oldest first', () => {
    expect(BASELINE_SKEW_ALLOWANCE_MS).toBe(60_000);
    expect(keysOf(detectNewEvents(baseline, window).fresh)).toEqual([
      'within-allowance',
      'same-second',
      'after-add',
    ]);
  });

  it('records only what came before as seen, so a later event not yet published is tried again', () => {
    const next = advanceCursor(baseline, {
      window,
      // `after-add` was published; the other two later ones were not (yet).
      acknowledged: window.filter((candidate) => candidate.key === 'after-add'),
      capacity: 10,
      now: ADDED,
      windowDigest: null,
    });
    expect(next?.mode).toBe('tracking');
    expect(next?.seen.map((entry) => entry.digest)).toEqual(
      ['long-before', 'before-allowance', 'after-add'].map(seenDigest),
    );
    expect(keysOf(detectNewEvents(next as CustomerState, window).fresh)).toEqual([
      'within-allowance',
      'same-second',
    ]);
  });

  it('records an event without a usable date (it cannot tell), and publishes all when createdAt is unreadable', () => {
    expect(predatesWatch(baseline, null)).toBe(true);
    expect(predatesWatch({ createdAt: 'not a date' }, Date.parse('2020-01-01T00:00:00Z'))).toBe(
      false,
    );
  });

  it('--backfill keeps its meaning: everything present is published', () => {
    const backfill = newCustomerState({ customerId: '1', scope: 'default', backfill: true }, ADDED);
    expect(detectNewEvents(backfill, window).fresh).toHaveLength(5);
  });
});
