import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeApiMessage, parseEventWindow } from './capillary-event.js';

const sample = JSON.parse(
  readFileSync(new URL('../sandbox/sample-response.json', import.meta.url), 'utf8'),
);

describe('parseEventWindow: the fields of an event', () => {
  it('accepts the reference sample as it is', () => {
    const { events, rejected } = parseEventWindow(sample.data);
    expect(rejected).toEqual([]);
    expect(events.map((event) => event.eventName)).toEqual([
      'TestingEvent_FE',
      'Event_Rutuja',
      'TestingEvent_FE_Rutuja',
    ]);
    expect(events[0]).toMatchObject({
      orgId: 100737,
      userId: '564590100',
      date: '2025-05-08T08:56:57.000Z',
      uniqueId: '1284f7d3-7b54-473e-a72d-b6eaab91ecc3',
      displayName: 'TestingEvent_FE',
    });
    expect(events[1]?.displayName).toBeNull();
    expect(events[0]?.additonalAttributes['x-cap-lineage-id']).toBe(
      '1284f7d3-7b54-473e-a72d-b6eaab91ecc3',
    );
  });

  it('tolerates numbers as strings, nulls, epoch dates, unknown fields and a PSI map', () => {
    const { events, rejected } = parseEventWindow([
      {
        orgId: '100737',
        date: '1746694617000',
        eventName: 'X',
        uniqueId: null,
        eventId: null,
        additonalAttributes: null,
        psiAttributes: { mobile: true, city: false },
        brandname: 'acme',
      },
    ]);
    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({
      orgId: 100737,
      date: '2025-05-08T08:56:57.000Z',
      uniqueId: null,
      additonalAttributes: {},
      psiAttributes: ['mobile'],
      brandname: 'acme',
    });
  });

  it('rejects an event without a name or with an unreadable date, naming the field', () => {
    const { events, rejected } = parseEventWindow([
      { date: '2025-05-08T08:56:57Z' },
      { date: 'yesterday', eventName: 'X' },
    ]);
    expect(events).toEqual([]);
    expect(rejected[0]?.reason).toMatch(/^eventName: /);
    expect(rejected[1]?.reason).toBe('date: not a date: "yesterday"');
  });
});

describe('parseEventWindow', () => {
  it('validates each event on its own and names the position of those it sets aside', () => {
    const { events, rejected } = parseEventWindow([
      { uniqueId: 'late', eventName: 'A', date: '9999-12-31T23:59:59Z' },
      { uniqueId: 'huge-date', eventName: 'B', date: 1e20 },
      { eventId: 'no-name', date: '2025-05-08T08:00:00Z' },
      'not an event',
      { uniqueId: 'ok', eventName: 'C', date: '2025-05-08T08:00:00Z' },
    ]);
    expect(events.map((event) => event.uniqueId)).toEqual(['late', 'ok']);
    expect(events[0]?.date).toBe('9999-12-31T23:59:59.000Z');
    expect(rejected).toEqual([
      {
        key: 'huge-date',
        position: 1,
        eventName: 'B',
        at: null,
        reason: 'date: not a date: 100000000000000000000',
      },
      expect.objectContaining({
        key: 'no-name',
        position: 2,
        eventName: null,
        at: Date.parse('2025-05-08T08:00:00Z'),
      }),
      expect.objectContaining({ key: expect.stringMatching(/^unreadable:sha256:/), position: 3 }),
    ]);
  });
});

describe('describeApiMessage', () => {
  it('reads strings and { code, message } entries', () => {
    expect(describeApiMessage('plain')).toBe('plain');
    expect(describeApiMessage({ code: 8015, message: 'Customer not found' })).toBe(
      '8015: Customer not found',
    );
    expect(describeApiMessage({ other: 1 })).toBe('{"other":1}');
  });

  it('shows a message of any depth without recursion, bounded', () => {
    let deep: unknown = 'x';
    for (let level = 0; level < 100_000; level++) deep = { a: deep };
    expect(describeApiMessage(deep)).toBe('(a message too deep or too long to show)');
    expect(describeApiMessage('y'.repeat(5_000))).toHaveLength(1_000);
  });
});
