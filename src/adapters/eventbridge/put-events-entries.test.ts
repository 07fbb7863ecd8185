import { describe, expect, it } from 'vitest';
import {
  MAX_ENTRIES_PER_PUT_EVENTS,
  MAX_PUT_EVENTS_BYTES,
  packPutEventsBatches,
  putEventsEntrySize,
} from './put-events-entries.js';

/** What a `Time` counts towards the PutEvents size, as AWS documents it. */
const PUT_EVENTS_TIME_BYTES = 14;

describe('putEventsEntrySize', () => {
  it('counts the UTF-8 bytes of Source, DetailType and Detail', () => {
    expect(putEventsEntrySize({ Source: 'abc', DetailType: 'de', Detail: '{}' })).toBe(7);
  });

  it('counts 14 bytes for a set Time, whatever its value', () => {
    const base = { Source: 's', DetailType: 't', Detail: '{}' };
    expect(putEventsEntrySize({ ...base, Time: new Date(0) })).toBe(4 + PUT_EVENTS_TIME_BYTES);
    expect(putEventsEntrySize({ ...base, Time: new Date('2099-12-31T23:59:59.999Z') })).toBe(
      4 + PUT_EVENTS_TIME_BYTES,
    );
  });

  it('counts bytes, not characters', () => {
    // é is 2 bytes, ✓ is 3, 😀 is 4 (a surrogate pair: 2 UTF-16 units).
    expect(putEventsEntrySize({ Source: 'é', DetailType: '✓', Detail: '"😀"' })).toBe(2 + 3 + 6);
  });

  it('counts each resource and ignores EventBusName and TraceHeader', () => {
    expect(
      putEventsEntrySize({
        Source: 's',
        DetailType: 't',
        Detail: '{}',
        Resources: ['arn:a', 'arn:bb'],
        EventBusName: 'a-very-long-bus-name',
        TraceHeader: 'Root=1-abc',
      }),
    ).toBe(4 + 5 + 6);
  });
});

describe('packPutEventsBatches', () => {
  const items = (...sizes: number[]) => sizes.map((size, id) => ({ id, size }));
  const ids = (batches: { id: number }[][]) => batches.map((batch) => batch.map((item) => item.id));

  it('keeps at most 10 entries per batch, in order', () => {
    const batches = packPutEventsBatches(items(...Array.from({ length: 21 }, () => 1)));
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 1]);
    expect(batches.flat().map((item) => item.id)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(MAX_ENTRIES_PER_PUT_EVENTS).toBe(10);
  });

  it('fills a batch up to exactly the byte limit and starts a new one past it', () => {
    const half = MAX_PUT_EVENTS_BYTES / 2;
    expect(ids(packPutEventsBatches(items(half, half, 1)))).toEqual([[0, 1], [2]]);
    expect(ids(packPutEventsBatches(items(half, half + 1, 1)))).toEqual([[0], [1, 2]]);
    expect(MAX_PUT_EVENTS_BYTES).toBe(262_144);
  });

  it('puts an entry of exactly the limit alone', () => {
    expect(ids(packPutEventsBatches(items(1, MAX_PUT_EVENTS_BYTES, 1)))).toEqual([[0], [1], [2]]);
  });

  it('returns no batch for no items', () => {
    expect(packPutEventsBatches([])).toEqual([]);
  });
});
