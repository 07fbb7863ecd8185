// The fleet of the fault tests on the scheduler's side: the real scheduler and worker handlers
// in-process, DynamoDB Local behind the fault proxy (`DYNAMODB_ENDPOINT`), the Capillary, SQS and
// EventBridge doubles. One round is a tick and then every message it queued, each to a worker.
import { type DynamoDBClient, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { inject, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import type { TickSummary } from '../../src/domain/schedule/schedule-tick.js';
import { CapillaryDouble } from './capillary-double.js';
import { DynamoDbFaultProxy } from './dynamodb-fault-proxy.js';
import { createTestTable, dynamoDbLocalClient } from './dynamodb-local.js';
import { EventBridgeDouble, eventKeyOf } from './eventbridge-double.js';
import {
  type EmfBlob,
  emfBlobs,
  environment,
  invoke,
  POLLER_LAMBDA_VARIABLES,
} from './lambda-harness.js';
import { rawEvents, uniqueIdOf } from './poller-fixtures.js';
import { SqsDouble } from './sqs-double.js';

type Scheduler = (
  event: unknown,
  context: Context,
) => Promise<TickSummary & { notQueuedCount: number }>;
type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const USERNAME = 'fault_till';
const PASSWORD = 'Fault-Pa55word-Secret';

/** What one tick did: its summary (or the error it threw), its metrics and its log text. */
export interface TickRun {
  summary: (TickSummary & { notQueuedCount: number }) | undefined;
  error: unknown;
  metrics: EmfBlob | undefined;
  /** stdout and stderr: Powertools writes warnings and errors to stderr. */
  log: string;
}

export class TickFaultHarness {
  readonly #env = environment(POLLER_LAMBDA_VARIABLES);
  #scheduler: Scheduler | undefined;
  #worker: Worker | undefined;
  #closers: (() => Promise<void>)[] = [];
  #tableName = '';
  /** Events at Capillary so far, per customer (1..n). */
  readonly #eventCounts = new Map<string, number>();

  private constructor(
    readonly dynamo: DynamoDBClient,
    readonly proxy: DynamoDbFaultProxy,
    readonly capillary: CapillaryDouble,
    readonly eventBridge: EventBridgeDouble,
    readonly sqs: SqsDouble,
  ) {}

  static async start(): Promise<TickFaultHarness> {
    const [proxy, capillary, eventBridge, sqs] = await Promise.all([
      DynamoDbFaultProxy.start(inject('dynamoDbLocalEndpoint')),
      CapillaryDouble.start(),
      EventBridgeDouble.start(),
      SqsDouble.start({ queueName: 'capillary-event-poller-work' }),
    ]);
    capillary.setAuth({ kind: 'basic', username: USERNAME, password: PASSWORD });
    return new TickFaultHarness(dynamoDbLocalClient(), proxy, capillary, eventBridge, sqs);
  }

  get tableName(): string {
    return this.#tableName;
  }

  /**
   * A fresh table watching `customerIds` (added directly, not through the proxy), each with
   * `events` events at Capillary, and fresh handlers pointed at the proxy.
   */
  async watch(customerIds: readonly string[], events = 2): Promise<void> {
    this.#tableName = await createTestTable(this.dynamo, 'faults');
    const store = new DynamoDbCursorStore({ client: this.dynamo, tableName: this.#tableName });
    for (const customerId of customerIds) {
      await store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
      );
      this.#eventCounts.set(customerId, 0);
    }
    this.addEvents(events);
    this.#env.set({
      TABLE_NAME: this.#tableName,
      DYNAMODB_ENDPOINT: this.proxy.url,
      EVENT_BUS_NAME: 'capillary-fault-bus',
      EVENTBRIDGE_ENDPOINT: this.eventBridge.url,
      CAPILLARY_BASE_URL: this.capillary.url.toString(),
      CAPILLARY_USERNAME: USERNAME,
      CAPILLARY_PASSWORD: PASSWORD,
      CAPILLARY_MAX_ATTEMPTS: '1',
      CAPILLARY_RPS: '50',
      POLL_INTERVAL_SECONDS: '60',
      CLAIM_SECONDS: '120',
      WORK_QUEUE_URL: this.sqs.queueUrl,
      SQS_ENDPOINT: this.sqs.url,
      AWS_ACCESS_KEY_ID: 'AKIDFAULTTEST',
      AWS_SECRET_ACCESS_KEY: 'fault-test-secret',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    vi.resetModules();
    this.#scheduler = (
      (await import('../../functions/scheduler/handler.js')) as { handler: Scheduler }
    ).handler;
    this.#worker = (
      (await import('../../functions/worker/handler.js')) as { handler: Worker }
    ).handler;
    const pool = await import('../../src/adapters/capillary/capillary-transport.js');
    this.#closers.push(pool.closeSharedDispatcher);
  }

  /** `count` more events for every watched customer at Capillary. */
  addEvents(count: number): void {
    for (const [customerId, before] of this.#eventCounts) {
      this.#eventCounts.set(customerId, before + count);
      this.capillary.setEvents(customerId, rawEvents(customerId, 1, before + count));
    }
  }

  /** Every customer due now and unclaimed, as if its interval and claims had passed. */
  async makeAllDue(): Promise<void> {
    const scan = await this.dynamo.send(
      new ScanCommand({ TableName: this.#tableName, ProjectionExpression: 'customerId' }),
    );
    const now = Date.now() - 1;
    for (const item of scan.Items ?? []) {
      if (!item.customerId?.S?.startsWith('schedule#')) continue;
      await this.dynamo.send(
        new UpdateItemCommand({
          TableName: this.#tableName,
          Key: { customerId: item.customerId },
          UpdateExpression: 'SET nextPollAt = :now REMOVE claimOwner, claimedUntil',
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        }),
      );
    }
  }

  /** One scheduler tick, then each message it queued handed to a worker. */
  async round(): Promise<TickRun & { workLog: string }> {
    const tick = await this.tick();
    return { ...tick, workLog: await this.work() };
  }

  /** Each message the last tick queued, handed to a worker; the workers' stdout and stderr. */
  async work(): Promise<string> {
    const log: string[] = [];
    for (const [index, message] of this.sqs.messages.entries()) {
      const run = await invoke(
        this.#worker as Worker,
        sqsEvent(message.body, `${message.messageId}-${index}`),
        'capillary-worker',
      );
      log.push(...run.lines, run.stderr);
    }
    return log.join('\n');
  }

  async tick(): Promise<TickRun> {
    this.sqs.reset();
    const scheduler = this.#scheduler as Scheduler;
    const run = await invoke(
      (event: unknown, context: Context) =>
        scheduler(event, context).then(
          (summary) => ({ summary, error: undefined }),
          (error: unknown) => ({ summary: undefined, error }),
        ),
      {},
      'capillary-scheduler',
    );
    return {
      ...run.result,
      metrics: emfBlobs(run.lines)[0],
      log: `${run.lines.join('\n')}\n${run.stderr}`,
    };
  }

  /** How many times the bus received each event key. */
  published(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const entry of this.eventBridge.accepted) {
      const key = eventKeyOf(entry);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  /** Events at Capillary the bus never received, and those it received more than once. */
  lostAndDuplicated(): { lost: string[]; duplicated: string[] } {
    const published = this.published();
    const lost: string[] = [];
    for (const [customerId, count] of this.#eventCounts) {
      for (let n = 1; n <= count; n++) {
        // The event key is the event's `uniqueId`.
        const uniqueId = uniqueIdOf(customerId, n);
        if (!published.has(uniqueId)) lost.push(uniqueId);
      }
    }
    const duplicated = [...published].filter(([, times]) => times > 1).map(([key]) => key);
    return { lost, duplicated };
  }

  /** Customers with at least one event on the bus. */
  customersPublished(): Set<string> {
    return new Set(
      this.eventBridge.accepted.map((entry) => {
        const detail = JSON.parse(entry.Detail ?? '{}') as { customerId?: string };
        return String(detail.customerId);
      }),
    );
  }

  async close(): Promise<void> {
    for (const close of this.#closers) await close();
    await Promise.all([
      this.proxy.close(),
      this.capillary.close(),
      this.eventBridge.close(),
      this.sqs.close(),
    ]);
    this.dynamo.destroy();
    this.#env.restore();
  }
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

/** The JSON log lines of `log` whose message starts with `message`. */
export function logLines(log: string, message: string): Record<string, unknown>[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => String(line.message).startsWith(message));
}
