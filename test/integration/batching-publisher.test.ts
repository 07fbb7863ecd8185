import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchingPublisher } from '../../src/adapters/eventbridge/batching-publisher.js';
import { EventBridgePublisher } from '../../src/adapters/eventbridge/eventbridge-publisher.js';
import { MAX_PUT_EVENTS_BYTES } from '../../src/adapters/eventbridge/put-events-entries.js';
import type { OutgoingEvent, PublishOutcome } from '../../src/domain/ports.js';
import { closeWire } from '../support/aws-json-double.js';
import {
  type EventBridgeDouble,
  eventKeyOf,
  startEventBridgeWire,
  TEST_BUS,
  TEST_SOURCE,
  wireEntrySize,
} from '../support/eventbridge-double.js';
import { tillEvent } from '../support/outgoing-event.js';

function makeEvent(customerId: string, n: number, padding = ''): OutgoingEvent {
  const key = `${customerId}-${n}`;
  return tillEvent(n, {
    key,
    customerId,
    uniqueId: `unique-${key}`,
    eventId: `event-${key}`,
    attributes: { n, padding },
  });
}

/** Each customer's events, published by one `publish` call per customer, all at once. */
function customers(count: number, eventsEach: number, padding = ''): OutgoingEvent[][] {
  return Array.from({ length: count }, (_, customer) =>
    Array.from({ length: eventsEach }, (_, n) => makeEvent(String(100 + customer), n, padding)),
  );
}

describe('BatchingPublisher against the EventBridge wire double', () => {
  let double: EventBridgeDouble;
  let client: EventBridgeClient;

  const batching = () => {
    const inner = new EventBridgePublisher({
      client,
      busName: TEST_BUS,
      source: TEST_SOURCE,
      maxAttempts: 2,
      sleep: async () => {},
    });
    return new BatchingPublisher({ inner, sizeOf: (event) => inner.entrySize(event) });
  };

  beforeAll(async () => {
    ({ double, client } = await startEventBridgeWire());
  });
  afterAll(() => closeWire({ double, client }));

  beforeEach(() => {
    double.reset();
  });

  it('packs 3,000 events of 1,000 concurrent customers into ~300 requests, each customer getting its own outcomes in order', async () => {
    const publisher = batching();
    const batches = customers(1_000, 3);

    const results = await Promise.all(batches.map((events) => publisher.publish(events)));

    // One request per customer (1,000) before; full 10-entry requests now.
    expect(double.requests.length).toBeLessThanOrEqual(310);
    expect(double.accepted).toHaveLength(3_000);
    results.forEach((outcomes, customer) => {
      expect(outcomes).toEqual(
        (batches[customer] ?? []).map((event) => ({ key: event.key, status: 'published' })),
      );
    });
  });

  it('keeps every request within the PutEvents byte limit', async () => {
    const publisher = batching();
    // About 100 KB each: two fit in a request, not three.
    const batches = customers(9, 1, 'x'.repeat(100_000));

    const results = await Promise.all(batches.map((events) => publisher.publish(events)));

    expect(results.flat().every((outcome) => outcome.status === 'published')).toBe(true);
    expect(double.requests).toHaveLength(5);
    for (const request of double.requests) {
      const bytes = request.entries.reduce((sum, entry) => sum + wireEntrySize(entry), 0);
      expect(bytes).toBeLessThanOrEqual(MAX_PUT_EVENTS_BYTES);
    }
  });

  it("limits a failed request's harm to its own entries", async () => {
    const publisher = batching();
    const batches = customers(30, 1);
    // The first request is refused as a whole (not retryable), and one entry of another is bad.
    double.failRequests(1, { status: 400, type: 'AccessDeniedException', message: 'denied' });
    double.failEntries({
      match: (entry) => eventKeyOf(entry) === '125-0',
      errorCode: 'MalformedDetail',
      requests: Number.POSITIVE_INFINITY,
    });

    const results = await Promise.all(batches.map((events) => publisher.publish(events)));

    const refusedKeys = new Set(double.requests[0]?.entries.map(eventKeyOf));
    expect(refusedKeys.size).toBe(10);
    const byKey = new Map<string, PublishOutcome>(results.flat().map((o) => [o.key, o]));
    for (const [key, outcome] of byKey) {
      if (refusedKeys.has(key)) expect(outcome.status).toBe('failed');
      else if (key === '125-0') expect(outcome.status).toBe('rejected');
      else expect(outcome.status).toBe('published');
    }
    expect(double.accepted).toHaveLength(30 - 10 - (refusedKeys.has('125-0') ? 0 : 1));
  });

  it('refuses an event too large for any request on its own, and publishes the others', async () => {
    const publisher = batching();
    const huge = makeEvent('7', 1, 'x'.repeat(MAX_PUT_EVENTS_BYTES));
    const small = makeEvent('8', 1);

    const [hugeOutcomes, smallOutcomes] = await Promise.all([
      publisher.publish([huge, makeEvent('7', 2)]),
      publisher.publish([small]),
    ]);

    expect(hugeOutcomes?.[0]).toMatchObject({ key: huge.key, status: 'rejected' });
    expect(hugeOutcomes?.[1]).toMatchObject({ key: '7-2', status: 'published' });
    expect(smallOutcomes).toEqual([{ key: small.key, status: 'published' }]);
    expect(double.requests).toHaveLength(1);
  });

  it('sends a lone, partly filled request after its linger', async () => {
    const publisher = batching();
    const outcomes = await publisher.publish([makeEvent('9', 1), makeEvent('9', 2)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['published', 'published']);
    expect(double.requests).toHaveLength(1);
  });
});
