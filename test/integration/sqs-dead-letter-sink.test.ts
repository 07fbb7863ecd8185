import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DEAD_LETTER_MAX_MESSAGE_BYTES } from '../../src/adapters/sqs/dead-letter-message.js';
import { SqsDeadLetterSink } from '../../src/adapters/sqs/sqs-dead-letter-sink.js';
import { MAX_SEND_MESSAGE_BATCH_BYTES } from '../../src/adapters/sqs/sqs-message.js';
import type { OutgoingEvent } from '../../src/domain/ports.js';
import { closeWire } from '../support/aws-json-double.js';
import { FIRST_EVENT_AT, outgoingEvent } from '../support/outgoing-event.js';
import { type SqsDouble, startSqsWire, wireMessageSize } from '../support/sqs-double.js';

function makeEvent(
  n: number,
  options: {
    attributes?: Record<string, unknown>;
    eventId?: string | null;
    eventName?: string;
  } = {},
): OutgoingEvent {
  return outgoingEvent({
    key: `key-${String(n).padStart(3, '0')}`,
    customerId: '564590100',
    time: new Date(FIRST_EVENT_AT + n * 1000),
    uniqueId: `unique-${n}`,
    eventId: options.eventId === undefined ? `event-${n}` : options.eventId,
    attributes: { n, ...options.attributes },
    ...(options.eventName === undefined ? {} : { eventName: options.eventName }),
  });
}

const park = (event: OutgoingEvent, reason = 'MalformedDetail: Detail is malformed.') => ({
  event,
  reason,
});

interface ParkedBody {
  reason: string;
  customerId: string;
  key: string;
  detailType: string;
  time: string;
  detail?: unknown;
  eventId?: string | null;
  uniqueId?: string | null;
  detailOmitted?: { detailBytes: number; maxMessageBytes: number; refetch: string };
}

describe('SqsDeadLetterSink against the SQS wire double', () => {
  let double: SqsDouble;
  let client: SQSClient;

  const sink = (options: { maxMessageBytes?: number; queueUrl?: string } = {}) =>
    new SqsDeadLetterSink({ client, queueUrl: options.queueUrl ?? double.queueUrl, ...options });

  beforeAll(async () => {
    ({ double, client } = await startSqsWire());
  });
  afterAll(() => closeWire({ double, client }));

  beforeEach(() => double.reset());

  it('parks each item as a message with the event and its reason over AWS JSON 1.0', async () => {
    const events = [makeEvent(0), makeEvent(1)];

    const outcomes = await sink().park([
      park(events[0] as OutgoingEvent),
      park(events[1] as OutgoingEvent, 'too big'),
    ]);

    expect(outcomes).toEqual([
      { key: 'key-000', parked: true },
      { key: 'key-001', parked: true },
    ]);
    expect(double.requests).toHaveLength(1);
    expect(double.requests[0]?.target).toBe('AmazonSQS.SendMessageBatch');
    expect(double.requests[0]?.contentType).toBe('application/x-amz-json-1.0');
    expect(double.requests[0]?.queueUrl).toBe(double.queueUrl);
    expect(double.bodies()).toEqual([
      {
        reason: 'MalformedDetail: Detail is malformed.',
        customerId: '564590100',
        key: 'key-000',
        detailType: 'TestingEvent_FE',
        time: events[0]?.time.toISOString(),
        detail: events[0]?.detail,
      },
      {
        reason: 'too big',
        customerId: '564590100',
        key: 'key-001',
        detailType: 'TestingEvent_FE',
        time: events[1]?.time.toISOString(),
        detail: events[1]?.detail,
      },
    ]);
    expect(double.messages[0]?.attributes).toEqual({
      customerId: { DataType: 'String', StringValue: '564590100' },
      eventName: { DataType: 'String', StringValue: 'TestingEvent_FE' },
      reason: { DataType: 'String', StringValue: 'MalformedDetail: Detail is malformed.' },
    });
  });

  it('sends 25 items as batches of 10, 10 and 5, in order', async () => {
    const items = Array.from({ length: 25 }, (_, n) => park(makeEvent(n)));

    const outcomes = await sink().park(items);

    expect(double.requests.map((request) => request.entries.length)).toEqual([10, 10, 5]);
    expect(double.bodies<ParkedBody>().map((body) => body.key)).toEqual(
      items.map((item) => item.event.key),
    );
    expect(outcomes).toEqual(items.map((item) => ({ key: item.event.key, parked: true })));
  });

  it('keeps each batch within 1 MiB', async () => {
    const bigWire = await startSqsWire({ maxMessageBytes: 1_048_576 });
    const { double: big, client: bigClient } = bigWire;
    try {
      // ~300 KB each: 4 of them are over 1 MiB.
      const items = Array.from({ length: 5 }, (_, n) =>
        park(makeEvent(n, { attributes: { blob: 'b'.repeat(300_000) } })),
      );
      const outcomes = await new SqsDeadLetterSink({
        client: bigClient,
        queueUrl: big.queueUrl,
        maxMessageBytes: 1_048_576,
      }).park(items);

      expect(outcomes.every((outcome) => outcome.parked)).toBe(true);
      expect(big.requests.map((request) => request.entries.length)).toEqual([3, 2]);
      for (const request of big.requests) {
        const total = request.entries.reduce((sum, entry) => sum + wireMessageSize(entry), 0);
        expect(total).toBeLessThanOrEqual(MAX_SEND_MESSAGE_BATCH_BYTES);
      }
      // With a 1 MiB queue, these are parked with their detail.
      expect(big.bodies<ParkedBody>().every((body) => body.detail !== undefined)).toBe(true);
    } finally {
      await closeWire(bigWire);
    }
  });

  it('parks an event too large for the queue without its detail, with how to fetch it again', async () => {
    const huge = makeEvent(1, { attributes: { blob: 'h'.repeat(300_000) } });
    const reason = 'entry is 300512 bytes, over the PutEvents limit of 262144 bytes';

    const outcomes = await sink().park([
      park(makeEvent(0)),
      park(huge, reason),
      park(makeEvent(2)),
    ]);

    expect(outcomes).toEqual([
      { key: 'key-000', parked: true },
      { key: 'key-001', parked: true },
      { key: 'key-002', parked: true },
    ]);
    const [first, stripped, third] = double.bodies<ParkedBody>();
    expect(first?.detail).toBeDefined();
    expect(third?.detail).toBeDefined();
    expect(stripped).not.toHaveProperty('detail');
    expect(stripped).toMatchObject({
      reason,
      customerId: '564590100',
      key: 'key-001',
      detailType: 'TestingEvent_FE',
      time: huge.time.toISOString(),
      eventId: 'event-1',
      uniqueId: 'unique-1',
    });
    expect(stripped?.detailOmitted?.refetch).toBe('GET /v2/events/event_data?id=event-1');
    expect(stripped?.detailOmitted?.maxMessageBytes).toBe(DEFAULT_DEAD_LETTER_MAX_MESSAGE_BYTES);
    expect(stripped?.detailOmitted?.detailBytes).toBeGreaterThan(300_000);
    expect(double.messages[1]?.attributes.customerId?.StringValue).toBe('564590100');
    expect(double.messages[1]?.attributes.eventName?.StringValue).toBe('TestingEvent_FE');
    expect(double.messages[1]?.attributes.reason?.StringValue).toBe(reason);
  });

  it('says how to find an oversized event that has no eventId', async () => {
    const huge = makeEvent(3, { eventId: null, attributes: { blob: 'h'.repeat(300_000) } });

    await sink().park([park(huge)]);

    const [body] = double.bodies<ParkedBody>();
    expect(body?.eventId).toBeNull();
    expect(body?.detailOmitted?.refetch).toContain('userId=564590100');
    expect(body?.detailOmitted?.refetch).toContain('uniqueId');
  });

  it('reports an entry SQS refuses as not parked, and parks the others', async () => {
    double.failEntries({
      match: [1],
      code: 'InternalError',
      message: 'try again',
      senderFault: false,
    });

    const outcomes = await sink().park([
      park(makeEvent(0)),
      park(makeEvent(1)),
      park(makeEvent(2)),
    ]);

    expect(outcomes[0]).toEqual({ key: 'key-000', parked: true });
    expect(outcomes[1]).toEqual({
      key: 'key-001',
      parked: false,
      reason: 'SendMessageBatch entry error InternalError (service fault): try again',
    });
    expect(outcomes[2]).toEqual({ key: 'key-002', parked: true });
    expect(double.bodies<ParkedBody>().map((body) => body.key)).toEqual(['key-000', 'key-002']);
  });

  it('relies on the SDK retries for a failed request (one retry loop, not two)', async () => {
    expect(await client.config.maxAttempts()).toBe(3);
    double.failRequests(1);

    const outcomes = await sink().park([park(makeEvent(0))]);

    expect(outcomes).toEqual([{ key: 'key-000', parked: true }]);
    expect(double.requests.map((request) => request.status)).toEqual([500, 200]);
  });

  it('reports every item of a batch as not parked when the request keeps failing', async () => {
    double.failRequests(Infinity);

    const outcomes = await sink().park([park(makeEvent(0)), park(makeEvent(1))]);

    expect(double.requests).toHaveLength(3);
    expect(outcomes.map((outcome) => outcome.parked)).toEqual([false, false]);
    expect(outcomes[0]?.parked === false && outcomes[0].reason).toMatch(
      /^SendMessageBatch failed: InternalError/,
    );
  });

  it('reports a queue that does not exist with the SQS error name', async () => {
    const outcomes = await sink({ queueUrl: `${double.url}/000000000000/missing` }).park([
      park(makeEvent(0)),
    ]);

    expect(outcomes[0]).toMatchObject({ key: 'key-000', parked: false });
    expect(outcomes[0]?.parked === false && outcomes[0].reason).toContain('QueueDoesNotExist');
  });

  it('keeps messages within the characters SQS accepts', async () => {
    const event = makeEvent(0, {
      eventName: 'odd\uFFFFname\u0001',
      attributes: { text: 'a\uFFFEb' },
    });

    const outcomes = await sink().park([park(event, 'reason with \uFFFF')]);

    expect(outcomes).toEqual([{ key: 'key-000', parked: true }]);
    const [body] = double.bodies<ParkedBody>();
    expect(body?.detail).toEqual(event.detail);
    expect(body?.reason).toBe('reason with \uFFFF');
  });

  it('parks nothing and sends nothing for no items', async () => {
    await expect(sink().park([])).resolves.toEqual([]);
    expect(double.requests).toEqual([]);
  });
});
