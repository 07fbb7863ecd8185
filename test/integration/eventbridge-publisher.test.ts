import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  EventBridgePublisher,
  type EventBridgePublisherOptions,
} from '../../src/adapters/eventbridge/eventbridge-publisher.js';
import {
  MAX_ENTRIES_PER_PUT_EVENTS,
  MAX_PUT_EVENTS_BYTES,
  putEventsEntrySize,
} from '../../src/adapters/eventbridge/put-events-entries.js';
import type { OutgoingEvent } from '../../src/domain/ports.js';
import { closeWire } from '../support/aws-json-double.js';
import {
  detailOf,
  type EventBridgeDouble,
  eventKeyOf,
  startEventBridgeWire,
  TEST_BUS,
  TEST_SOURCE,
  wireEntrySize,
} from '../support/eventbridge-double.js';
import { tillEvent } from '../support/outgoing-event.js';

function makeEvent(n: number, attributes: Record<string, unknown> = {}): OutgoingEvent {
  return tillEvent(n, {
    key: `key-${String(n).padStart(3, '0')}`,
    customerId: '564590100',
    uniqueId: `unique-${n}`,
    eventId: `event-${n}`,
    attributes: { n, ...attributes },
  });
}

describe('EventBridgePublisher against the EventBridge wire double', () => {
  let double: EventBridgeDouble;
  let client: EventBridgeClient;
  let sleeps: number[];

  const publisher = (options: Partial<EventBridgePublisherOptions> = {}) =>
    new EventBridgePublisher({
      client,
      busName: TEST_BUS,
      source: TEST_SOURCE,
      maxAttempts: 3,
      baseDelayMs: 100,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    });

  beforeAll(async () => {
    ({ double, client } = await startEventBridgeWire());
  });
  afterAll(() => closeWire({ double, client }));

  beforeEach(() => {
    double.reset();
    sleeps = [];
  });

  it('maps each event to a PutEvents entry over AWS JSON 1.1', async () => {
    const event = makeEvent(1, { points: 20, note: 'héllo ✓' });

    const outcomes = await publisher().publish([event]);

    expect(outcomes).toEqual([{ key: event.key, status: 'published' }]);
    expect(double.requests).toHaveLength(1);
    const request = double.requests[0];
    expect(request?.target).toBe('AWSEvents.PutEvents');
    expect(request?.contentType).toBe('application/x-amz-json-1.1');
    expect(request?.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    expect(double.accepted).toHaveLength(1);
    const entry = double.accepted[0];
    expect(entry?.Source).toBe(TEST_SOURCE);
    expect(entry?.DetailType).toBe('TestingEvent_FE');
    expect(entry?.EventBusName).toBe(TEST_BUS);
    // The SDK sends timestamps as epoch seconds.
    expect(Number(entry?.Time)).toBe(event.time.getTime() / 1000);
    expect(entry?.Detail).toBe(JSON.stringify(event.detail));
    expect(detailOf(entry ?? {})).toEqual(event.detail);
  });

  it('sends 25 events as 3 requests of 10, 10 and 5, in order', async () => {
    const events = Array.from({ length: 25 }, (_, n) => makeEvent(n));

    const outcomes = await publisher().publish(events);

    expect(double.requests.map((request) => request.entries.length)).toEqual([10, 10, 5]);
    expect(double.requests.flatMap((request) => request.entries.map(eventKeyOf))).toEqual(
      events.map((event) => event.key),
    );
    expect(double.accepted.map(eventKeyOf)).toEqual(events.map((event) => event.key));
    expect(outcomes).toEqual(events.map((event) => ({ key: event.key, status: 'published' })));
  });

  it('packs requests by the documented entry size so none exceeds 256 KiB', async () => {
    // ~30 KB each: 10 of them would be ~300 KB, over the request limit.
    const events = Array.from({ length: 10 }, (_, n) => makeEvent(n, { blob: 'x'.repeat(30_000) }));
    const p = publisher();
    const size = putEventsEntrySize(p.toEntry(events[0] as OutgoingEvent));
    expect(size * MAX_ENTRIES_PER_PUT_EVENTS).toBeGreaterThan(MAX_PUT_EVENTS_BYTES);
    const perRequest = Math.floor(MAX_PUT_EVENTS_BYTES / size);

    const outcomes = await p.publish(events);

    expect(outcomes.every((outcome) => outcome.status === 'published')).toBe(true);
    expect(double.requests.map((request) => request.entries.length)).toEqual([
      perRequest,
      10 - perRequest,
    ]);
    for (const request of double.requests) {
      expect(request.status).toBe(200);
      const total = request.entries.reduce((sum, entry) => sum + wireEntrySize(entry), 0);
      expect(total).toBeLessThanOrEqual(MAX_PUT_EVENTS_BYTES);
    }
    expect(double.accepted.map(eventKeyOf)).toEqual(events.map((event) => event.key));
  });

  it('rejects an event too large on its own and never sends it, publishing the others', async () => {
    const events = [makeEvent(0), makeEvent(1, { blob: 'y'.repeat(300_000) }), makeEvent(2)];

    const outcomes = await publisher().publish(events);

    expect(outcomes[0]).toEqual({ key: 'key-000', status: 'published' });
    expect(outcomes[1]).toMatchObject({ key: 'key-001', status: 'rejected' });
    const reason = outcomes[1]?.status === 'rejected' ? outcomes[1].reason : '';
    const size = putEventsEntrySize(publisher().toEntry(events[1] as OutgoingEvent));
    expect(reason).toContain(String(size));
    expect(reason).toContain(String(MAX_PUT_EVENTS_BYTES));
    expect(outcomes[2]).toEqual({ key: 'key-002', status: 'published' });
    const sent = double.requests.flatMap((request) => request.entries.map(eventKeyOf));
    expect(sent).toEqual(['key-000', 'key-002']);
  });

  it('retries only the entries that failed with retryable codes, then publishes them', async () => {
    const events = Array.from({ length: 5 }, (_, n) => makeEvent(n));
    double.failEntries({
      match: (entry) => eventKeyOf(entry) === 'key-001',
      errorCode: 'ThrottlingException',
      errorMessage: 'Rate exceeded',
    });
    double.failEntries({ match: [3], errorCode: 'InternalFailure' });

    const outcomes = await publisher().publish(events);

    expect(outcomes).toEqual(events.map((event) => ({ key: event.key, status: 'published' })));
    expect(double.requests).toHaveLength(2);
    expect(double.requests[0]?.entries.map(eventKeyOf)).toEqual(events.map((event) => event.key));
    expect(double.requests[1]?.entries.map(eventKeyOf)).toEqual(['key-001', 'key-003']);
    expect(double.accepted.map(eventKeyOf).sort()).toEqual(events.map((event) => event.key));
    expect(sleeps).toHaveLength(1);
  });

  it('rejects an entry with a non-retryable code at once, without retrying it', async () => {
    const events = Array.from({ length: 3 }, (_, n) => makeEvent(n));
    double.failEntries({
      match: [1],
      errorCode: 'MalformedDetail',
      errorMessage: 'Detail is malformed.',
    });

    const outcomes = await publisher().publish(events);

    expect(outcomes[0]).toEqual({ key: 'key-000', status: 'published' });
    expect(outcomes[1]).toEqual({
      key: 'key-001',
      status: 'rejected',
      reason: 'PutEvents entry error MalformedDetail: Detail is malformed.',
    });
    expect(outcomes[2]).toEqual({ key: 'key-002', status: 'published' });
    expect(double.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('reports an access error on an entry as failed (not rejected) without retrying', async () => {
    double.failEntries({ match: [0], errorCode: 'NotAuthorizedForSourceException' });

    const outcomes = await publisher().publish([makeEvent(0), makeEvent(1)]);

    expect(outcomes[0]).toMatchObject({ key: 'key-000', status: 'failed' });
    expect(outcomes[0]?.status === 'failed' && outcomes[0].reason).toContain(
      'NotAuthorizedForSourceException',
    );
    expect(outcomes[1]).toEqual({ key: 'key-001', status: 'published' });
    expect(double.requests).toHaveLength(1);
  });

  it('gives up on entries that keep failing with a retryable code after maxAttempts', async () => {
    double.failEntries({
      match: (entry) => eventKeyOf(entry) === 'key-001',
      errorCode: 'InternalFailure',
      requests: Infinity,
    });

    const outcomes = await publisher({ maxAttempts: 3 }).publish([makeEvent(0), makeEvent(1)]);

    expect(outcomes[0]).toEqual({ key: 'key-000', status: 'published' });
    expect(outcomes[1]).toMatchObject({ key: 'key-001', status: 'failed' });
    expect(outcomes[1]?.status === 'failed' && outcomes[1].reason).toMatch(
      /InternalFailure.*after 3 attempts/,
    );
    expect(double.requests.map((request) => request.entries.map(eventKeyOf))).toEqual([
      ['key-000', 'key-001'],
      ['key-001'],
      ['key-001'],
    ]);
  });

  it('retries a whole-request throttle with backoff, then publishes', async () => {
    double.throttleRequests(2);
    const events = [makeEvent(0), makeEvent(1)];

    const outcomes = await publisher({ maxAttempts: 3, baseDelayMs: 100 }).publish(events);

    expect(outcomes).toEqual(events.map((event) => ({ key: event.key, status: 'published' })));
    expect(double.requests.map((request) => request.status)).toEqual([400, 400, 200]);
    expect(double.requests[0]?.errorType).toBe('ThrottlingException');
    expect(sleeps).toHaveLength(2);
    // Full jitter: random in [0, base * 2^(n-1)).
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThan(100);
    expect(sleeps[1]).toBeLessThan(200);
  });

  it('uses exponential, capped, jittered delays', async () => {
    double.throttleRequests(Infinity);

    await publisher({
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 300,
      random: () => 0.999,
    }).publish([makeEvent(0)]);

    expect(sleeps).toEqual([99, 199, 299, 299]);
  });

  it('reports persistent throttling as failed after maxAttempts', async () => {
    double.throttleRequests(Infinity);
    const events = [makeEvent(0), makeEvent(1)];

    const outcomes = await publisher({ maxAttempts: 3 }).publish(events);

    expect(double.requests).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    for (const [index, outcome] of outcomes.entries()) {
      expect(outcome).toMatchObject({ key: events[index]?.key, status: 'failed' });
      expect(outcome.status === 'failed' && outcome.reason).toMatch(
        /ThrottlingException.*gave up after 3 attempts/,
      );
    }
    expect(double.accepted).toEqual([]);
  });

  it('retries a 500 response, then publishes', async () => {
    double.failRequests(1);

    const outcomes = await publisher().publish([makeEvent(0)]);

    expect(outcomes).toEqual([{ key: 'key-000', status: 'published' }]);
    expect(double.requests.map((request) => request.status)).toEqual([500, 200]);
  });

  it('does not retry a non-transient request error and reports it as failed', async () => {
    double.failRequests(Infinity, {
      status: 400,
      type: 'ResourceNotFoundException',
      message: 'Event bus capillary-events does not exist.',
    });

    const outcomes = await publisher().publish([makeEvent(0), makeEvent(1)]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['failed', 'failed']);
    expect(outcomes[0]?.status === 'failed' && outcomes[0].reason).toContain(
      'ResourceNotFoundException',
    );
    expect(double.requests).toHaveLength(1);
  });

  it('isolates entries when a request is refused as invalid, rejecting only the bad one', async () => {
    // The batch is refused as a whole, then each entry is sent alone; the second stays invalid.
    double.failRequests(1, { status: 400, type: 'ValidationException', message: 'bad entry' });
    const events = [makeEvent(0), makeEvent(1), makeEvent(2)];

    const outcomes = await publisher().publish(events);

    expect(outcomes).toEqual(events.map((event) => ({ key: event.key, status: 'published' })));
    expect(double.requests.map((request) => request.entries.map(eventKeyOf))).toEqual([
      ['key-000', 'key-001', 'key-002'],
      ['key-000'],
      ['key-001'],
      ['key-002'],
    ]);

    double.reset();
    double.failRequests(2, { status: 400, type: 'ValidationException', message: 'bad entry' });
    const isolated = await publisher().publish([makeEvent(0), makeEvent(1)]);
    // Request 1 (both) and request 2 (key-000 alone) are refused; key-001 alone goes through.
    expect(isolated[0]).toMatchObject({ key: 'key-000', status: 'rejected' });
    expect(isolated[1]).toEqual({ key: 'key-001', status: 'published' });
  });

  it('retries network errors and reports them as failed when they persist', async () => {
    // A client on a double that is gone: every connection is refused.
    const { double: closed, client: deadClient } = await startEventBridgeWire();
    await closed.close();
    try {
      const outcomes = await publisher({ client: deadClient, maxAttempts: 2 }).publish([
        makeEvent(0),
      ]);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ key: 'key-000', status: 'failed' });
      expect(outcomes[0]?.status === 'failed' && outcomes[0].reason).toContain(
        'gave up after 2 attempts',
      );
      expect(sleeps).toHaveLength(1);
    } finally {
      deadClient.destroy();
    }
  });

  it('owns the retries: the SDK client does not retry on its own', async () => {
    expect(await client.config.maxAttempts()).toBe(1);
    double.throttleRequests(Infinity);

    const outcomes = await publisher({ maxAttempts: 1 }).publish([makeEvent(0)]);

    expect(outcomes[0]?.status).toBe('failed');
    expect(double.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('returns outcomes in input order across batches, retries and rejections', async () => {
    const events = Array.from({ length: 14 }, (_, n) =>
      n === 4 ? makeEvent(n, { blob: 'z'.repeat(270_000) }) : makeEvent(n),
    );
    double.failEntries({
      match: (entry) => eventKeyOf(entry) === 'key-012',
      errorCode: 'ThrottlingException',
    });
    double.failEntries({
      match: (entry) => eventKeyOf(entry) === 'key-007',
      errorCode: 'InvalidArgument',
    });

    const outcomes = await publisher().publish(events);

    expect(outcomes.map((outcome) => outcome.key)).toEqual(events.map((event) => event.key));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(
      events.map((_, n) => (n === 4 || n === 7 ? 'rejected' : 'published')),
    );
    // 13 sendable entries: 10 + 3, then the retry of key-012 alone.
    expect(double.requests.map((request) => request.entries.length)).toEqual([10, 3, 1]);
  });

  it('never throws and returns nothing for no events', async () => {
    await expect(publisher().publish([])).resolves.toEqual([]);
    expect(double.requests).toEqual([]);
  });
});
