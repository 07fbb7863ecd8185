// dlq list / redrive / purge --webhook <name> through the real CLI: the webhook's dead-letter queue
// and queue on two SQS doubles (WEBHOOK_QUEUES), the bus double watching that nothing reaches it.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventBridgeDouble } from '../support/eventbridge-double.js';
import { SqsDouble } from '../support/sqs-double.js';
import { type CliRun, runCliProcess, shown } from './cli-process.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let queue: SqsDouble;
let deadLetters: SqsDouble;
let otherQueue: SqsDouble;
let eventBridge: EventBridgeDouble;

beforeAll(async () => {
  [queue, deadLetters, otherQueue, eventBridge] = await Promise.all([
    SqsDouble.start({ queueName: 'orders-webhook' }),
    SqsDouble.start({ queueName: 'orders-webhook-dlq' }),
    SqsDouble.start({ queueName: 'crm-webhook' }),
    EventBridgeDouble.start(),
  ]);
});
afterAll(async () => {
  await Promise.all([queue.close(), deadLetters.close(), otherQueue.close(), eventBridge.close()]);
});

const HOUR = 3_600_000;
const delivery = (key: string, hoursAgo: number) =>
  JSON.stringify({
    id: key,
    time: new Date(Date.now() - hoursAgo * HOUR).toISOString(),
    eventName: 'Purchase',
    customerId: '123456789',
    body: { customer: '123456789', key },
  });
/** What EventBridge parks when the rule cannot queue an event: the event itself. */
const rawEvent = JSON.stringify({
  version: '0',
  'detail-type': 'Purchase',
  source: 'capillary.events',
  detail: { poller: { eventKey: 'k-raw' } },
});

function dlq(args: string[], webhookQueues?: unknown): Promise<CliRun> {
  const queues = webhookQueues ?? {
    orders: { queueUrl: queue.queueUrl, dlqUrl: deadLetters.queueUrl },
    crm: { queueUrl: otherQueue.queueUrl, dlqUrl: otherQueue.queueUrl },
  };
  return runCliProcess(['dlq', ...args], {
    env: {
      WEBHOOK_QUEUES: typeof queues === 'string' ? queues : JSON.stringify(queues),
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      AWS_REGION: 'us-east-1',
    },
  });
}

const parked = { k1: '', k2: '' };

beforeEach(() => {
  for (const double of [queue, deadLetters, otherQueue]) double.reset();
  eventBridge.reset();
  parked.k1 = delivery('k-1', 2);
  parked.k2 = delivery('k-2', 1);
  deadLetters.enqueue(
    parked.k2,
    { reason: { DataType: 'String', StringValue: 'refused after 3 attempts: HTTP 410' } },
    Date.now(),
  );
  deadLetters.enqueue(parked.k1, {}, Date.now());
  deadLetters.enqueue(
    rawEvent,
    {
      ERROR_CODE: { DataType: 'String', StringValue: 'SQSError' },
      ERROR_MESSAGE: { DataType: 'String', StringValue: 'Access denied' },
    },
    Date.now(),
  );
});

describe('dlq --webhook', () => {
  it('lists that webhook’s parked deliveries, oldest first, with why', async () => {
    const run = await dlq(['list', '--webhook', 'orders', '--json']);
    expect(run.code, shown(run)).toBe(0);
    const rows = JSON.parse(run.stdout) as {
      key: string | null;
      reason: string;
      publishable: boolean;
      unpublishable: string | null;
    }[];
    expect(rows.map((row) => [row.key, row.reason, row.publishable])).toEqual([
      [
        'k-1',
        "its retries ran out (moved by the queue's redrive policy after retryAttempts)",
        true,
      ],
      ['k-2', 'refused after 3 attempts: HTTP 410', true],
      [null, 'SQSError: Access denied', false],
    ]);
    expect(rows[2]?.unpublishable).toContain('replay it from the archive');
    expect(run.stderr).toContain("3 parked event(s) in the orders webhook's dead-letter queue");
    expect(deadLetters.queued()).toHaveLength(3);
  });

  it('redrives to that webhook’s queue only: not the bus, not another webhook', async () => {
    const run = await dlq(['redrive', '--webhook', 'orders']);
    expect(run.code, shown(run)).toBe(1); // the raw event stays parked
    // Byte for byte as parked, oldest first: the delivery function signs and sends them again.
    expect(queue.queued().map((message) => message.body)).toEqual([parked.k1, parked.k2]);
    expect(queue.queued().map((message) => JSON.parse(message.body).id)).toEqual(['k-1', 'k-2']);
    expect(eventBridge.requests).toHaveLength(0);
    expect(otherQueue.queued()).toHaveLength(0);
    expect(deadLetters.queued()).toHaveLength(1);
    expect(run.stdout).toContain('published k-1');
    expect(run.stderr).toContain(
      "3 parked event(s) found, 2 moved back to the orders webhook's queue, 1 still parked",
    );
  });

  it('purges that webhook’s dead-letter queue only', async () => {
    const run = await dlq(['purge', '--webhook', 'orders', '--yes']);
    expect(run.code, shown(run)).toBe(0);
    expect(deadLetters.queued()).toHaveLength(0);
    expect(run.stderr).toContain('dlq purge: 3 parked event(s) deleted');
  });

  it('names the setting when the webhook is unknown or WEBHOOK_QUEUES is wrong (exit 2)', async () => {
    const unknown = await dlq(['list', '--webhook', 'billing']);
    expect(unknown.code, shown(unknown)).toBe(2);
    expect(unknown.stderr).toContain(
      'WEBHOOK_QUEUES: has no webhook "billing" (it lists "orders", "crm")',
    );
    const bad = await dlq(['list', '--webhook', 'orders'], '{"orders": {"queueUrl": "nope"}}');
    expect(bad.code, shown(bad)).toBe(2);
    expect(bad.stderr).toContain('WEBHOOK_QUEUES');
    expect(deadLetters.queued()).toHaveLength(3);
  });
});
