// Fault: an EventBridge endpoint that accepts the connection and never answers. Before: PutEvents
// hung 40 s with a warning only, a worker ran past its Lambda budget while publishing, and in
// Lambda it is killed between PutEvents and the cursor write. The real worker handler, in-process,
// on DynamoDB Local and the SQS, Capillary and EventBridge doubles, with a short remaining time.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { EventBridgeDouble, eventKeyOf } from '../support/eventbridge-double.js';
import { environment, invoke, POLLER_LAMBDA_VARIABLES } from '../support/lambda-harness.js';
import { rawEvents } from '../support/poller-fixtures.js';
import { SqsDouble } from '../support/sqs-double.js';

type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type Scheduler = (event: unknown, context: Context) => Promise<unknown>;

const USERNAME = 'fault_till';
const PASSWORD = 'Fault-Pa55word-Secret';
/** The worker's Lambda time left: 3 s to publish, then 5 s for the cursor write and the return. */
const REMAINING_MS = 8_000;
const EVENTS = { '7000': 3, '7001': 2 };

const env = environment(POLLER_LAMBDA_VARIABLES);

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let sqs: SqsDouble;
let dynamo: DynamoDBClient;
/** An EventBridge endpoint that reads each request and never answers it. */
let silent: Server;
const silentTraffic = { requests: 0, closed: 0 };
const dispatcherClosers: (() => Promise<void>)[] = [];

function lambdaEnv(tableName: string, eventBridgeEndpoint: string): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
    EVENT_BUS_NAME: 'capillary-fault-bus',
    EVENTBRIDGE_ENDPOINT: eventBridgeEndpoint,
    CAPILLARY_BASE_URL: capillary.url.toString(),
    CAPILLARY_USERNAME: USERNAME,
    CAPILLARY_PASSWORD: PASSWORD,
    CAPILLARY_MAX_ATTEMPTS: '1',
    CAPILLARY_RPS: '50',
    // Customers with new events are due again a second later: the next tick polls them.
    POLL_INTERVAL_SECONDS: '1',
    CLAIM_SECONDS: '120',
    WORK_QUEUE_URL: sqs.queueUrl,
    SQS_ENDPOINT: sqs.url,
    AWS_ACCESS_KEY_ID: 'AKIDFAULTTEST',
    AWS_SECRET_ACCESS_KEY: 'fault-test-secret',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
}

/** Fresh handlers (a new container): their clients are built from the environment set now. */
async function importHandlers(): Promise<{ scheduler: Scheduler; worker: Worker }> {
  vi.resetModules();
  const scheduler = (await import('../../functions/scheduler/handler.js')) as {
    handler: Scheduler;
  };
  const worker = (await import('../../functions/worker/handler.js')) as { handler: Worker };
  const pool = await import('../../src/adapters/capillary/capillary-transport.js');
  dispatcherClosers.push(pool.closeSharedDispatcher);
  return { scheduler: scheduler.handler, worker: worker.handler };
}

/** One scheduler tick: the work messages it queued, as the SQS events a worker gets. */
async function tick(scheduler: Scheduler): Promise<SQSEvent[]> {
  sqs.reset();
  await invoke(scheduler, {}, 'capillary-scheduler');
  return sqs.messages.map((message) => ({
    Records: [
      {
        messageId: message.messageId,
        receiptHandle: `receipt-${message.messageId}`,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'AROAEXAMPLE',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:capillary-event-poller-work',
        awsRegion: 'us-east-1',
      },
    ],
  }));
}

beforeAll(async () => {
  [capillary, eventBridge, sqs] = await Promise.all([
    CapillaryDouble.start(),
    EventBridgeDouble.start(),
    SqsDouble.start({ queueName: 'capillary-event-poller-work' }),
  ]);
  capillary.setAuth({ kind: 'basic', username: USERNAME, password: PASSWORD });
  dynamo = dynamoDbLocalClient();
  silent = createServer((request) => {
    silentTraffic.requests++;
    request.resume();
  });
  silent.on('connection', (socket) => socket.on('close', () => silentTraffic.closed++));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const close of dispatcherClosers) await close();
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await Promise.all([capillary.close(), eventBridge.close(), sqs.close()]);
  dynamo.destroy();
  env.restore();
});

describe('a PutEvents that never answers', () => {
  it('is aborted at the worker’s publish deadline, the cursor stays before the events, the worker returns in time, and a later poll publishes each event once', async () => {
    const tableName = await createTestTable(dynamo, 'fault-put-events');
    const store = new DynamoDbCursorStore({ client: dynamo, tableName });
    for (const [customerId, count] of Object.entries(EVENTS)) {
      await store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
      );
      capillary.setEvents(customerId, rawEvents(customerId, 1, count));
    }
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    env.set(lambdaEnv(tableName, silentUrl));
    const stalled = await importHandlers();

    const messages = await tick(stalled.scheduler);
    expect(messages.length).toBeGreaterThan(0);
    for (const message of messages) {
      const startedAt = Date.now();
      const run = await invoke(stalled.worker, message, 'capillary-worker', REMAINING_MS);
      // Back before the Lambda's time is up, the cursor written after the aborted PutEvents.
      expect(Date.now() - startedAt).toBeLessThan(REMAINING_MS);
      expect(run.stderr).toContain('no time left to publish before the invocation ends');
    }
    // Sent, never answered, and aborted: the client closed every connection it opened.
    expect(silentTraffic.requests).toBeGreaterThan(0);
    await vi.waitFor(() => expect(silentTraffic.closed).toBe(silentTraffic.requests));
    expect(eventBridge.accepted).toEqual([]);

    // The bus answers again; the customers are due again: each event goes out once.
    env.set(lambdaEnv(tableName, eventBridge.url));
    const healthy = await importHandlers();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (const message of await tick(healthy.scheduler)) {
      await invoke(healthy.worker, message, 'capillary-worker');
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (const message of await tick(healthy.scheduler)) {
      await invoke(healthy.worker, message, 'capillary-worker');
    }

    const published = new Map<string, number>();
    for (const entry of eventBridge.accepted) {
      const key = eventKeyOf(entry);
      published.set(key, (published.get(key) ?? 0) + 1);
    }
    const expected = Object.values(EVENTS).reduce((sum, count) => sum + count, 0);
    expect(published.size).toBe(expected); // 0 lost, both customers
    expect([...published.values()].every((times) => times === 1)).toBe(true); // 0 duplicated
  }, 120_000);
});
