// Fault row 15: customers are watched (`watch add`, baseline), events arrive before their first
// poll, then the scheduler and worker Lambdas poll them. What is dated after the add is published
// exactly once, even dated in the very second of the add (Capillary's `date` has whole seconds);
// what is dated before it is recorded as baseline and never published. `--backfill` customers
// still get everything present.

import { PassThrough } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { runCli } from '../../src/cli/run-cli.js';
import { seenDigest } from '../../src/domain/detect/seen-digest.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { detailOf, EventBridgeDouble } from '../support/eventbridge-double.js';
import { environment, invoke, POLLER_LAMBDA_VARIABLES } from '../support/lambda-harness.js';
import { multiset, rawEvent } from '../support/poller-fixtures.js';
import { SqsDouble } from '../support/sqs-double.js';

type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type Scheduler = (event: unknown, context: Context) => Promise<unknown>;

const BUS = 'capillary-from-now-bus';
const BASELINE = Array.from({ length: 40 }, (_, index) => String(81_000 + index));
const BACKFILL = ['89001', '89002'];

const env = environment(POLLER_LAMBDA_VARIABLES);

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let sqs: SqsDouble;
let dynamo: DynamoDBClient;
let tableName: string;
let closeDispatcher: (() => Promise<void>) | undefined;

/** An event of `customerId` dated `at`, in Capillary's format: whole seconds, `Z`. */
function eventAt(customerId: string, n: number, at: number): Record<string, unknown> {
  const date = new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return { ...rawEvent(customerId, n), date, uniqueId: `${customerId}-${n}` };
}

async function cli(...argv: string[]): Promise<number> {
  const stdout = new PassThrough().resume();
  const stderr = new PassThrough().resume();
  return runCli(argv, {
    env: {
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: BUS,
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: 'till',
      CAPILLARY_PASSWORD: 'from-now-password',
      AWS_ACCESS_KEY_ID: 'AKIDFROMNOW',
      AWS_SECRET_ACCESS_KEY: 'from-now-secret',
      AWS_REGION: 'us-east-1',
      LOG_LEVEL: 'SILENT',
    },
    stdout,
    stderr,
  });
}

function sqsEvent(body: string, messageId: string): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId,
        receiptHandle: `receipt-${messageId}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'AROAEXAMPLE',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:capillary-event-poller-work',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

beforeAll(async () => {
  [capillary, eventBridge, sqs] = await Promise.all([
    CapillaryDouble.start({
      auth: { kind: 'basic', username: 'till', password: 'from-now-password' },
    }),
    EventBridgeDouble.start(),
    SqsDouble.start({ queueName: 'capillary-event-poller-work' }),
  ]);
  dynamo = dynamoDbLocalClient();
  tableName = await createTestTable(dynamo, 'from-now');
});

afterAll(async () => {
  await closeDispatcher?.();
  await Promise.all([capillary.close(), eventBridge.close(), sqs.close()]);
  dynamo.destroy();
  env.restore();
});

describe('an event that arrives between watch add and the first poll', () => {
  it('is published exactly once; what was there before the add is not', async () => {
    // Each customer already has two events, long before it is watched.
    const longBefore = Date.parse('2025-05-08T08:00:00Z');
    for (const customerId of [...BASELINE, ...BACKFILL]) {
      capillary.setEvents(customerId, [
        eventAt(customerId, 2, longBefore + 1_000),
        eventAt(customerId, 1, longBefore),
      ]);
    }
    expect(await cli('watch', 'add', ...BASELINE)).toBe(0);
    expect(await cli('watch', 'add', ...BACKFILL, '--backfill')).toBe(0);
    const store = new DynamoDbCursorStore({ client: dynamo, tableName });
    const addedAt = new Map<string, number>();
    for (const customerId of [...BASELINE, ...BACKFILL]) {
      const state = await store.getCustomer(customerId);
      addedAt.set(customerId, Date.parse(state?.createdAt ?? ''));
    }

    // Then events arrive, before any poll: 1 to 3 per customer, dated from the add's own second
    // (which reads as before the add, once cut to whole seconds) to a minute after it.
    const expected: string[] = [];
    for (const [index, customerId] of [...BASELINE, ...BACKFILL].entries()) {
      const added = addedAt.get(customerId) as number;
      const fresh = Array.from({ length: 1 + (index % 3) }, (_, k) =>
        eventAt(customerId, 3 + k, added + k * 30_000),
      );
      const window = [...fresh.reverse(), eventAt(customerId, 2, longBefore + 1_000)];
      window.push(eventAt(customerId, 1, longBefore));
      capillary.setEvents(customerId, window);
      expected.push(...fresh.map((event) => String(event.uniqueId)));
    }
    for (const customerId of BACKFILL) expected.push(`${customerId}-1`, `${customerId}-2`);

    // The first poll: the scheduler Lambda claims them all, the workers poll them.
    env.set({
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: BUS,
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: 'till',
      CAPILLARY_PASSWORD: 'from-now-password',
      CAPILLARY_RPS: '500',
      POLL_INTERVAL_SECONDS: '60',
      CLAIM_SECONDS: '120',
      WORK_QUEUE_URL: sqs.queueUrl,
      SQS_ENDPOINT: sqs.url,
      AWS_ACCESS_KEY_ID: 'AKIDFROMNOW',
      AWS_SECRET_ACCESS_KEY: 'from-now-secret',
      AWS_REGION: 'us-east-1',
    });
    vi.resetModules();
    const scheduler = (await import('../../functions/scheduler/handler.js')) as {
      handler: Scheduler;
    };
    const worker = (await import('../../functions/worker/handler.js')) as { handler: Worker };
    closeDispatcher = (await import('../../src/adapters/capillary/capillary-transport.js'))
      .closeSharedDispatcher;
    await invoke(scheduler.handler, {}, 'capillary-scheduler');
    const work = sqs.messages.map((message) => sqsEvent(message.body, message.messageId));
    for (const event of work) {
      const run = await invoke(worker.handler, event, 'capillary-worker');
      expect(run.result).toEqual({ batchItemFailures: [] });
    }

    // Every customer was polled once, and each event after the add published exactly once.
    for (const customerId of [...BASELINE, ...BACKFILL]) {
      expect(capillary.eventRequests(customerId), customerId).toHaveLength(1);
    }
    const published = eventBridge.accepted.map((entry) => String(detailOf(entry).uniqueId));
    expect(multiset(published)).toEqual(multiset(expected));
    for (const customerId of BASELINE) {
      expect(published).not.toContain(`${customerId}-1`);
      expect(published).not.toContain(`${customerId}-2`);
    }
    // The baseline is recorded: every event of each window is now seen, so none comes again.
    for (const customerId of BASELINE) {
      const state = await store.getCustomer(customerId);
      expect(state?.mode, customerId).toBe('tracking');
      expect(state?.seen.map((entry) => entry.digest).sort()).toEqual(
        expected
          .filter((id) => id.startsWith(`${customerId}-`))
          .concat(`${customerId}-1`, `${customerId}-2`)
          .map(seenDigest)
          .sort(),
      );
    }
  });
});
