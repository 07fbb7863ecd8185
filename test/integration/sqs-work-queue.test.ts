// The scheduler's work queue against the SQS double (the real SendMessageBatch wire protocol).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqsWorkQueue } from '../../src/adapters/sqs/sqs-work-queue.js';
import { parseWorkMessage, workMessages } from '../../src/domain/schedule/work-queue.js';
import { claimedCustomers } from '../support/claimed-customers.js';
import { type SqsDouble, startSqsWire } from '../support/sqs-double.js';

let sqs: SqsDouble;
let queue: SqsWorkQueue;

beforeAll(async () => {
  const wire = await startSqsWire({ queueName: 'capillary-event-poller-work' });
  sqs = wire.double;
  queue = new SqsWorkQueue({ client: wire.client, queueUrl: sqs.queueUrl });
});
beforeEach(() => sqs.reset());
afterAll(() => sqs.close());

describe('SqsWorkQueue', () => {
  it('sends 10 messages per SendMessageBatch, each a readable work message', async () => {
    const messages = workMessages(claimedCustomers(23 * 25));
    const outcomes = await queue.send(messages);
    expect(outcomes).toEqual(messages.map(() => ({ sent: true })));
    expect(sqs.requests.map((request) => request.entries.length)).toEqual([10, 10, 3]);
    expect(sqs.messages.map((message) => parseWorkMessage(message.body))).toEqual(messages);
  });

  it('sends an entry SQS failed on its own once more', async () => {
    sqs.failEntries({ match: [1], code: 'InternalError', senderFault: false });
    const messages = workMessages(claimedCustomers(3 * 25));
    expect(await queue.send(messages)).toEqual(messages.map(() => ({ sent: true })));
    expect(sqs.requests.map((request) => request.entries.length)).toEqual([3, 1]);
    expect(sqs.bodies()).toHaveLength(3);
  });

  it('reports what still fails, and does not resend a message SQS refuses as bad', async () => {
    sqs.failEntries({ match: [0], code: 'InternalError', senderFault: false, requests: 2 });
    sqs.failEntries({
      match: [2],
      code: 'InvalidParameterValue',
      message: 'bad message',
      senderFault: true,
    });
    const messages = workMessages(claimedCustomers(3 * 25));
    const outcomes = await queue.send(messages);
    expect(outcomes).toEqual([
      { sent: false, reason: 'InternalError: injected InternalError' },
      { sent: true },
      { sent: false, reason: 'InvalidParameterValue: bad message' },
    ]);
    expect(sqs.requests.map((request) => request.entries.length)).toEqual([3, 1]);
  });

  it('reports a request SQS refuses as a whole for every message in it, without throwing', async () => {
    sqs.failRequests(10, { status: 400, code: 'AccessDenied', message: 'no sqs:SendMessage' });
    const outcomes = await queue.send(workMessages(claimedCustomers(2 * 25)));
    expect(outcomes).toHaveLength(2);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({
        sent: false,
        reason: expect.stringContaining('no sqs:SendMessage'),
      });
    }
  });
});
