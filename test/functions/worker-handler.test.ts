// The worker Lambda handler fed what the real scheduler handler queued: DynamoDB Local, the SQS,
// EventBridge and Capillary doubles, one message per invocation, EMF metrics on stdout.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import {
  DEFAULT_SERVICE_NAME,
  METRIC_UNITS,
  METRICS_NAMESPACE,
  MetricName,
} from '../../src/observability/metric-names.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { detailOf, EventBridgeDouble } from '../support/eventbridge-double.js';
import {
  type EmfBlob,
  emfBlobs,
  emfUnits,
  environment,
  invocationError,
  invoke,
  POLLER_LAMBDA_VARIABLES,
} from '../support/lambda-harness.js';
import { rawEvents, uniqueIdOf } from '../support/poller-fixtures.js';
import { SqsDouble } from '../support/sqs-double.js';

type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type Scheduler = (event: unknown, context: Context) => Promise<unknown>;

const USERNAME = 'lambda_till';
const PASSWORD = 'Lambda-Pa55word-Secret';
const BUS = 'capillary-lambda-bus';

const env = environment(POLLER_LAMBDA_VARIABLES);

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let sqs: SqsDouble;
let dynamo: DynamoDBClient;
/** Each import of the worker has its own Capillary connection pool: all are closed at the end. */
const dispatcherClosers: (() => Promise<void>)[] = [];

async function tableWith(customerIds: readonly string[]): Promise<string> {
  const tableName = await createTestTable(dynamo, 'worker');
  const store = new DynamoDbCursorStore({ client: dynamo, tableName });
  for (const customerId of customerIds) {
    await store.addCustomer(
      newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
    );
  }
  return tableName;
}

function lambdaEnv(tableName: string): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
    EVENT_BUS_NAME: BUS,
    EVENTBRIDGE_ENDPOINT: eventBridge.url,
    CAPILLARY_BASE_URL: capillary.url.toString(),
    CAPILLARY_USERNAME: USERNAME,
    CAPILLARY_PASSWORD: PASSWORD,
    CAPILLARY_MAX_ATTEMPTS: '1',
    CAPILLARY_RPS: '50',
    POLL_INTERVAL_SECONDS: '60',
    CLAIM_SECONDS: '120',
    WORK_QUEUE_URL: sqs.queueUrl,
    SQS_ENDPOINT: sqs.url,
    AWS_ACCESS_KEY_ID: 'AKIDLAMBDATEST',
    AWS_SECRET_ACCESS_KEY: 'lambda-test-secret',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_METRICS_DISABLED: 'false',
  };
}

async function importHandlers(): Promise<{ scheduler: Scheduler; worker: Worker }> {
  vi.resetModules();
  const scheduler = (await import('../../functions/scheduler/handler.js')) as {
    handler: Scheduler;
  };
  const worker = (await import('../../functions/worker/handler.js')) as { handler: Worker };
  // Imported after the worker, so from the same fresh module registry: the worker's own copy.
  const pool = await import('../../src/adapters/capillary/capillary-transport.js');
  dispatcherClosers.push(pool.closeSharedDispatcher);
  return { scheduler: scheduler.handler, worker: worker.handler };
}

/** The SQS event the event source mapping would hand the worker for one queued message. */
function sqsEvent(body: string, messageId: string): SQSEvent {
  return {
    Records: [
      {
        messageId,
        receiptHandle: `receipt-${messageId}`,
        body,
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
  };
}

/** Runs one scheduler tick and returns the queued messages as SQS events. */
async function tick(scheduler: Scheduler): Promise<SQSEvent[]> {
  sqs.reset();
  await invoke(scheduler, {}, 'capillary-scheduler');
  return sqs.messages.map((message) => sqsEvent(message.body, message.messageId));
}

/**
 * A table watching these customers, each with events 1..n at Capillary, fresh handlers, and one
 * tick run: the worker and the messages the tick queued.
 */
async function tickedWith(
  eventCounts: Record<string, number>,
): Promise<{ worker: Worker; events: SQSEvent[] }> {
  env.set(lambdaEnv(await tableWith(Object.keys(eventCounts))));
  const { scheduler, worker } = await importHandlers();
  for (const [customerId, count] of Object.entries(eventCounts)) {
    capillary.setEvents(customerId, rawEvents(customerId, 1, count));
  }
  return { worker, events: await tick(scheduler) };
}

beforeAll(async () => {
  [capillary, eventBridge, sqs] = await Promise.all([
    CapillaryDouble.start(),
    EventBridgeDouble.start(),
    SqsDouble.start({ queueName: 'capillary-event-poller-work' }),
  ]);
  capillary.setAuth({ kind: 'basic', username: USERNAME, password: PASSWORD });
  dynamo = dynamoDbLocalClient();
});
beforeEach(() => {
  eventBridge.accepted.length = 0;
});
afterAll(async () => {
  for (const close of dispatcherClosers) await close();
  await Promise.all([capillary.close(), eventBridge.close(), sqs.close()]);
  dynamo.destroy();
  env.restore();
});

describe('worker Lambda handler', () => {
  it('polls the claimed customers the scheduler queued, publishes to EventBridge, and prints the poll metrics as EMF', async () => {
    env.set(lambdaEnv(await tableWith(['1000', '1001', '1002'])));
    const { scheduler, worker } = await importHandlers();
    capillary.setEvents('1000', rawEvents('1000', 1, 3));
    capillary.setEvents('1001', rawEvents('1001', 1, 2));
    capillary.failNext('1002', {
      kind: 'api-errors',
      errors: [{ code: 8015, message: 'Customer not found for given identifier' }],
    });

    const [event, ...more] = await tick(scheduler);
    expect(more).toEqual([]);
    const { result, lines, stderr } = await invoke(worker, event as SQSEvent, 'capillary-worker');

    // A failed customer is recorded on its schedule; the message itself succeeded.
    expect(result).toEqual({ batchItemFailures: [] });
    expect(eventBridge.accepted.map((entry) => detailOf(entry).uniqueId).sort()).toEqual(
      [
        uniqueIdOf('1000', 1),
        uniqueIdOf('1000', 2),
        uniqueIdOf('1000', 3),
        uniqueIdOf('1001', 1),
        uniqueIdOf('1001', 2),
      ].sort(),
    );
    expect(eventBridge.accepted.every((entry) => entry.EventBusName === BUS)).toBe(true);

    const blobs = emfBlobs(lines);
    expect(blobs).toHaveLength(1);
    const blob = blobs[0] as EmfBlob;
    expect(blob._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
    expect(blob._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(blob.service).toBe(DEFAULT_SERVICE_NAME);
    expect(blob[MetricName.CustomersPolled]).toBe(2);
    expect(blob[MetricName.PollErrors]).toBe(1);
    expect(blob[MetricName.EventsPublished]).toBe(5);
    expect(blob[MetricName.EventsParked]).toBe(0);
    expect(blob[MetricName.EventsUnpublished]).toBe(0);
    expect(blob[MetricName.CustomersDeferred]).toBe(0);
    expect(blob[MetricName.LagSeconds]).toBeGreaterThan(0);
    // One request per customer (CAPILLARY_MAX_ATTEMPTS=1), counted by the client.
    expect(blob[MetricName.CapillaryRequests]).toBe(3);
    expect(blob[MetricName.QuotaUse]).toBeGreaterThan(0);
    expect(blob[MetricName.ClaimsLost]).toBe(0);
    expect(blob[MetricName.CoverageGaps]).toBe(0);
    // The tick's metrics are the scheduler's alone: a worker's share says nothing of the whole.
    expect(blob[MetricName.SweepCompleted]).toBeUndefined();
    expect(blob[MetricName.CustomersClaimed]).toBeUndefined();

    // The credentials never reach the logs.
    expect(stderr).toContain('Customer poll failed');
    expect(`${lines.join('\n')}\n${stderr}`).not.toContain(PASSWORD);
  });

  it('emits every declared metric but the change feed’s, between the scheduler and the workers, with its unit', async () => {
    env.set(lambdaEnv(await tableWith(['2000'])));
    const { scheduler, worker } = await importHandlers();
    capillary.setEvents('2000', rawEvents('2000', 1, 1));
    sqs.reset();
    const tickRun = await invoke(scheduler, {}, 'capillary-scheduler');
    const events = sqs.messages.map((message) => sqsEvent(message.body, message.messageId));
    const workRun = await invoke(worker, events[0] as SQSEvent, 'capillary-worker');
    const tickUnits = emfUnits(emfBlobs(tickRun.lines)[0] as EmfBlob);
    const workUnits = emfUnits(emfBlobs(workRun.lines)[0] as EmfBlob);
    const units = { ...tickUnits, ...workUnits };
    // The change feed's own function emits the Feed* metrics (change-feed-handler.test.ts).
    const polling = Object.fromEntries(
      Object.entries(METRIC_UNITS).filter(([name]) => !name.startsWith('Feed')),
    );
    expect(units).toEqual(polling);
    // Each its own: the worker emits none of the tick's metrics but the customers it left due.
    expect(Object.keys(workUnits).filter((name) => name in tickUnits)).toEqual([
      MetricName.CustomersDeferred,
    ]);
  });

  it('publishes nothing twice when SQS delivers a message again after it was done', async () => {
    const {
      worker,
      events: [event],
    } = await tickedWith({ '3000': 2, '3001': 2 });
    await invoke(worker, event as SQSEvent, 'capillary-worker');
    const again = await invoke(worker, event as SQSEvent, 'capillary-worker');
    expect(again.result).toEqual({ batchItemFailures: [] });
    expect(eventBridge.accepted).toHaveLength(4);
  });

  it('reports a message it could not finish, so SQS brings it back, and polls it then', async () => {
    const {
      worker,
      events: [event],
    } = await tickedWith({ '4000': 1, '4001': 1 });
    const messageId = event?.Records[0]?.messageId;
    // No time left: nothing is started.
    const cut = await invoke(worker, event as SQSEvent, 'capillary-worker', 0);
    expect(cut.result).toEqual({ batchItemFailures: [{ itemIdentifier: messageId }] });
    expect(eventBridge.accepted).toHaveLength(0);
    expect(emfBlobs(cut.lines)[0]?.[MetricName.CustomersDeferred]).toBe(2);

    // Redelivered while the claims hold: polled.
    const redelivered = await invoke(worker, event as SQSEvent, 'capillary-worker');
    expect(redelivered.result).toEqual({ batchItemFailures: [] });
    expect(eventBridge.accepted).toHaveLength(2);
  });

  it('reports an unreadable message as failed (it rests on the work dead-letter queue), and goes on with the others', async () => {
    const {
      worker,
      events: [good],
    } = await tickedWith({ '6000': 1 });
    const bad = sqsEvent('{"customers": "all of them"}', 'bad-message');
    const batch: SQSEvent = { Records: [...bad.Records, ...(good as SQSEvent).Records] };
    const { result, stderr } = await invoke(worker, batch, 'capillary-worker');
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad-message' }] });
    expect(stderr).toContain('Work message unreadable');
    expect(eventBridge.accepted).toHaveLength(1);
  });

  it('throws ConfigErrors naming EVENT_BUS_NAME when it is missing, even with EVENTBRIDGE_ENDPOINT set', async () => {
    const { EVENT_BUS_NAME: _bus, ...rest } = lambdaEnv(await tableWith([]));
    env.set(rest);
    const { worker } = await importHandlers();
    const error = await invocationError(worker, { Records: [] }, 'capillary-worker');
    expect(error?.name).toBe('ConfigErrors');
    expect(error?.problems?.map((problem) => problem.setting)).toContain('EVENT_BUS_NAME');
  });
});
