// The scheduler Lambda handler, imported with its environment pointing at DynamoDB Local and the
// SQS double: one tick per invocation, claims queued as work messages, EMF metrics on stdout.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { DynamoDbFeedStore } from '../../src/adapters/dynamodb/dynamodb-feed-store.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import { initialFeedCursor } from '../../src/domain/feed/feed-cursor.js';
import type { TickSummary } from '../../src/domain/schedule/schedule-tick.js';
import { parseWorkMessage } from '../../src/domain/schedule/work-queue.js';
import { METRICS_NAMESPACE, MetricName } from '../../src/observability/metric-names.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import {
  type EmfBlob,
  emfBlobs,
  emfUnits,
  environment,
  invocationError,
  invoke,
  POLLER_LAMBDA_VARIABLES,
} from '../support/lambda-harness.js';
import { SqsDouble } from '../support/sqs-double.js';

type Handler = (
  event: unknown,
  context: Context,
) => Promise<TickSummary & { notQueuedCount: number }>;

const env = environment(POLLER_LAMBDA_VARIABLES);

let sqs: SqsDouble;
let dynamo: DynamoDBClient;

async function tableWith(count: number): Promise<string> {
  const tableName = await createTestTable(dynamo, 'scheduler');
  const store = new DynamoDbCursorStore({ client: dynamo, tableName });
  for (let index = 0; index < count; index++) {
    await store.addCustomer(
      newCustomerState(
        { customerId: String(5000 + index), scope: 'default', backfill: false },
        new Date(),
      ),
    );
  }
  return tableName;
}

function schedulerEnv(tableName: string, extra: Record<string, string> = {}) {
  return {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
    EVENT_BUS_NAME: 'capillary-bus',
    CAPILLARY_BASE_URL: 'https://eu.api.capillarytech.com',
    CAPILLARY_AUTH: 'basic',
    CAPILLARY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:capillary-AbCdEf',
    // 0.5 requests/s × 60 s: a tick claims at most 30 customers.
    CAPILLARY_RPS: '0.5',
    POLL_INTERVAL_SECONDS: '60',
    MAX_POLL_INTERVAL_SECONDS: '3600',
    CLAIM_SECONDS: '120',
    WORK_QUEUE_URL: sqs.queueUrl,
    SQS_ENDPOINT: sqs.url,
    AWS_ACCESS_KEY_ID: 'AKIDSCHEDULERTEST',
    AWS_SECRET_ACCESS_KEY: 'scheduler-test-secret',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_METRICS_DISABLED: 'false',
    ...extra,
  };
}

async function importHandler(): Promise<Handler> {
  vi.resetModules();
  return ((await import('../../functions/scheduler/handler.js')) as { handler: Handler }).handler;
}

beforeAll(async () => {
  sqs = await SqsDouble.start({ queueName: 'capillary-event-poller-work' });
  dynamo = dynamoDbLocalClient();
});
beforeEach(() => sqs.reset());
afterAll(async () => {
  await sqs.close();
  dynamo.destroy();
  env.restore();
});

describe('scheduler Lambda handler', () => {
  it('claims a tick’s quota of due customers, queues them by 25, and prints the tick metrics as EMF', async () => {
    env.set(schedulerEnv(await tableWith(70)));
    const handler = await importHandler();
    const { result: summary, lines, context } = await invoke(handler, {}, 'capillary-scheduler');

    expect(summary).toMatchObject({ claimed: 30, queued: 30, notQueuedCount: 0, deferred: 40 });
    const messages = sqs.messages.map((message) => parseWorkMessage(message.body));
    expect(messages.map((message) => message.customers.length)).toEqual([25, 5]);
    const claimed = messages.flatMap((message) => message.customers);
    expect(new Set(claimed.map((customer) => customer.customerId)).size).toBe(30);
    for (const customer of claimed) {
      expect(customer.claimOwner).toBe(`tick-${context.awsRequestId}`);
      expect(customer.claimedUntil - Date.now()).toBeGreaterThan(60_000);
    }

    const blobs = emfBlobs(lines);
    expect(blobs).toHaveLength(1);
    const blob = blobs[0] as EmfBlob;
    expect(blob._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
    expect(blob._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(emfUnits(blob)).toEqual({
      CustomersClaimed: 'Count',
      CustomersDeferred: 'Count',
      CustomersOverdue: 'Count',
      ClaimErrors: 'Count',
      CorruptItems: 'Count',
      OldestStalenessSeconds: 'Seconds',
      SweepDuration: 'Milliseconds',
      SweepCompleted: 'Count',
    });
    expect(blob[MetricName.CustomersClaimed]).toBe(30);
    expect(blob[MetricName.CustomersDeferred]).toBe(40);
    expect(blob[MetricName.CustomersOverdue]).toBe(0);
    expect(blob[MetricName.ClaimErrors]).toBe(0);
    expect(blob[MetricName.CorruptItems]).toBe(0);
    expect(blob[MetricName.SweepCompleted]).toBe(1);

    // The next tick (warm container) takes the next 30: the first ones are still claimed.
    sqs.reset();
    const second = await invoke(handler, {}, 'capillary-scheduler');
    expect(second.result.claimed).toBe(30);
    const next = sqs.messages.flatMap((message) => parseWorkMessage(message.body).customers);
    const overlap = next.filter((customer) =>
      claimed.some((first) => first.customerId === customer.customerId),
    );
    expect(overlap).toEqual([]);
  });

  it('takes a hinted customer first, and schedules it under the backstop only while the feed reads the log', async () => {
    const claimedBound = async (feedReadAgoMs: number | undefined) => {
      sqs.reset();
      const tableName = await tableWith(2);
      const feed = new DynamoDbFeedStore({ client: dynamo, tableName });
      expect(await feed.markHinted('5001', Date.now() - 1_000)).toBe('due-now');
      if (feedReadAgoMs !== undefined) {
        const cursor = { ...initialFeedCursor(Date.now(), 0), readTo: Date.now() - feedReadAgoMs };
        expect(await feed.saveFeedCursor(cursor)).toBe('saved');
      }
      env.set(schedulerEnv(tableName, { CHANGE_FEED_BACKSTOP_SECONDS: '21600' }));
      const { result } = await invoke(await importHandler(), {}, 'capillary-scheduler');
      expect(result.claimed).toBe(2);
      return sqs.messages
        .flatMap((message) => parseWorkMessage(message.body).customers)
        .map((customer) => [customer.customerId, customer.maxIntervalMs]);
    };
    // The feed read the log 10 s ago: the customer it knows gets the backstop's 6 hours.
    expect(await claimedBound(10_000)).toEqual([
      ['5001', 21_600_000],
      ['5000', undefined],
    ]);
    // Its last read 10 minutes ago, or none: the staleness bound for everyone.
    expect(await claimedBound(600_000)).toEqual([
      ['5001', undefined],
      ['5000', undefined],
    ]);
    expect(await claimedBound(undefined)).toEqual([
      ['5001', undefined],
      ['5000', undefined],
    ]);
  });

  it('claims no more than SWEEP_MAX_POLLS', async () => {
    env.set(schedulerEnv(await tableWith(12), { SWEEP_MAX_POLLS: '7' }));
    const handler = await importHandler();
    const { result } = await invoke(handler, {}, 'capillary-scheduler');
    expect(result).toMatchObject({ claimed: 7, queued: 7, deferred: 5 });
  });

  it('reports customers it could not queue, the list bounded in its result and log', async () => {
    env.set(schedulerEnv(await tableWith(80), { CAPILLARY_RPS: '2' }));
    sqs.failRequests(10, { status: 400, code: 'AccessDenied', message: 'not authorized' });
    const handler = await importHandler();
    const { result, stderr } = await invoke(handler, {}, 'capillary-scheduler');
    expect(result).toMatchObject({ claimed: 80, queued: 0, notQueuedCount: 80 });
    expect(result.notQueued).toHaveLength(50);
    expect(result.notQueued[0]?.reason).toContain('not authorized');
    const warning = stderr.split('\n').find((line) => line.includes('"Tick finished"'));
    expect(JSON.parse(warning ?? '{}').summary.notQueued).toHaveLength(50);
  });

  it('throws ConfigErrors naming WORK_QUEUE_URL when it is missing', async () => {
    const { WORK_QUEUE_URL: _queue, ...rest } = schedulerEnv(await tableWith(0));
    env.set(rest);
    const handler = await importHandler();
    const error = await invocationError(handler, {}, 'capillary-scheduler');
    expect(error?.name).toBe('ConfigErrors');
    expect(error?.problems?.map((problem) => problem.setting)).toEqual(['WORK_QUEUE_URL']);
  });
});
