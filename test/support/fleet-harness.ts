// The fleet in one process: the real scheduler and worker Lambda handlers on DynamoDB Local, with
// the SQS, EventBridge and Capillary doubles, a stream of new events, and a clock the test moves
// (only `Date` is faked; timers and sockets run for real). A tick's messages go to worker
// invocations as the event source mapping would hand them over: once, to two workers at once,
// again after a failure, or late.
//
//   const fleet = await Fleet.start({ customers: 30 });
//   fleet.addEvents(2);
//   const [message] = await fleet.tick();
//   await fleet.deliverAtOnce([{ message }, { message }]);
//   await fleet.settle();
//   expect(fleet.report()).toMatchObject({ lost: [], duplicated: [] });
//   await fleet.close();
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { inject, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import type { WorkSummary } from '../../src/domain/poll/poll-work.js';
import { CapillaryDouble } from './capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from './dynamodb-local.js';
import { deliveryReport, EventStream } from './event-stream.js';
import { EventBridgeDouble, eventKeyOf } from './eventbridge-double.js';
import { captureOutput, environment, fakeContext, invoke } from './lambda-harness.js';
import { SqsDouble } from './sqs-double.js';

type WorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type SchedulerHandler = (event: unknown, context: Context) => Promise<unknown>;

/** A work message the scheduler queued, as SQS keeps it. */
export interface QueuedWork {
  messageId: string;
  body: string;
}

/** One receive of a message by one worker invocation. */
export interface Delivery {
  message: QueuedWork;
  /** `ApproximateReceiveCount` of this receive. Default 1. */
  receiveCount?: number;
  /** What the invocation's context says is left, ms. Default 60 s. */
  remainingMs?: number;
}

/** What one worker invocation returned and reported. */
export interface WorkerRun {
  result: SQSBatchResponse;
  /** The summary of its `Work finished` log line. */
  summary: WorkSummary & { delivery: string };
}

const CUSTOMER_BASE = 810_000;
const SETTINGS = {
  CAPILLARY_USERNAME: 'fleet_till',
  CAPILLARY_PASSWORD: 'fleet-Pa55word',
  CAPILLARY_MAX_ATTEMPTS: '2',
  // Generous: the machine running the tests is shared, and a timeout is not this harness's fault.
  CAPILLARY_TIMEOUT_MS: '10000',
  // High enough that the shared quota never holds a poll back: these tests count, not time.
  CAPILLARY_RPS: '1000',
  POLL_INTERVAL_SECONDS: '60',
  // Tiers off: every customer is due a minute after its last poll.
  MAX_POLL_INTERVAL_SECONDS: '60',
  CLAIM_SECONDS: '120',
  EVENT_BUS_NAME: 'fleet-bus',
  AWS_ACCESS_KEY_ID: 'AKIDFLEETTEST',
  AWS_SECRET_ACCESS_KEY: 'fleet-test-secret',
  AWS_REGION: 'us-east-1',
  POWERTOOLS_METRICS_DISABLED: 'true',
};
const ENV_NAMES = [
  ...Object.keys(SETTINGS),
  'TABLE_NAME',
  'DYNAMODB_ENDPOINT',
  'EVENTBRIDGE_ENDPOINT',
  'CAPILLARY_BASE_URL',
  'WORK_QUEUE_URL',
  'SQS_ENDPOINT',
  'POLL_CONCURRENCY',
  'CAPILLARY_AUTH',
  'CAPILLARY_SECRET_ARN',
  'DLQ_URL',
  'POWERTOOLS_DEV',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
];

export class Fleet {
  /** Worker containers, each its own import of the handler (its own clients and pools). */
  readonly #workers: WorkerHandler[] = [];
  readonly #closers: (() => Promise<void>)[] = [];
  #queued = 0;
  /** Every log line of the last `deliver` or `deliverAtOnce`, parsed. */
  logs: Record<string, unknown>[] = [];

  private constructor(
    readonly customerIds: readonly string[],
    readonly capillary: CapillaryDouble,
    readonly eventBridge: EventBridgeDouble,
    readonly sqs: SqsDouble,
    readonly dynamo: DynamoDBClient,
    readonly tableName: string,
    readonly stream: EventStream,
    readonly claimMs: number,
    readonly env: ReturnType<typeof environment>,
    readonly scheduler: SchedulerHandler,
  ) {}

  /**
   * Doubles, a table watching `customers` customers (with --backfill, so every event the stream
   * serves must be published), the Lambda environment set and `Date` faked from now on.
   * `settings` overrides the Lambda settings (`POLL_CONCURRENCY`, `CLAIM_SECONDS`, ...).
   */
  static async start(
    options: { customers?: number; settings?: Record<string, string> } = {},
  ): Promise<Fleet> {
    const customerIds = Array.from({ length: options.customers ?? 30 }, (_, index) =>
      String(CUSTOMER_BASE + index),
    );
    const [capillary, eventBridge, sqs] = await Promise.all([
      CapillaryDouble.start(),
      EventBridgeDouble.start(),
      SqsDouble.start({ queueName: 'capillary-event-poller-work' }),
    ]);
    capillary.setAuth({
      kind: 'basic',
      username: SETTINGS.CAPILLARY_USERNAME,
      password: SETTINGS.CAPILLARY_PASSWORD,
    });
    const dynamo = dynamoDbLocalClient();
    const tableName = await createTestTable(dynamo, 'fleet');
    const store = new DynamoDbCursorStore({ client: dynamo, tableName });
    for (const customerId of customerIds) {
      await store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
      );
    }
    const settings = { ...SETTINGS, ...options.settings };
    const env = environment(ENV_NAMES);
    env.set({
      ...settings,
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      CAPILLARY_BASE_URL: capillary.url.toString(),
      WORK_QUEUE_URL: sqs.queueUrl,
      SQS_ENDPOINT: sqs.url,
    });
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.resetModules();
    const scheduler = (await import('../../functions/scheduler/handler.js')) as {
      handler: SchedulerHandler;
    };
    return new Fleet(
      customerIds,
      capillary,
      eventBridge,
      sqs,
      dynamo,
      tableName,
      new EventStream(capillary, customerIds),
      Number(settings.CLAIM_SECONDS) * 1000,
      env,
      scheduler.handler,
    );
  }

  /** Adds `perCustomer` new events to every customer's window. */
  addEvents(perCustomer = 1): void {
    for (let index = 0; index < perCustomer * this.customerIds.length; index++) this.stream.add();
  }

  /** Moves the clock `ms` forward. */
  advance(ms: number): void {
    vi.setSystemTime(Date.now() + ms);
  }

  /** Runs one scheduler tick; returns the messages it queued. */
  async tick(): Promise<QueuedWork[]> {
    await invoke(this.scheduler, {}, 'capillary-scheduler');
    const queued = this.sqs.messages.slice(this.#queued);
    this.#queued = this.sqs.messages.length;
    return queued.map(({ messageId, body }) => ({ messageId, body }));
  }

  /** Hands one delivery to one worker invocation (worker container `container`, default the first). */
  async deliver(delivery: Delivery, container = 0): Promise<WorkerRun> {
    const [run] = await this.#invoke([[delivery, container]]);
    return run as WorkerRun;
  }

  /**
   * Hands each delivery to its own worker container, all at once. Deliver concurrently only
   * through it: output is captured once for all of them.
   */
  deliverAtOnce(deliveries: readonly Delivery[]): Promise<WorkerRun[]> {
    return this.#invoke(deliveries.map((delivery, index) => [delivery, index]));
  }

  /**
   * Lets the fleet finish: `rounds` times, every claim expires and every customer falls due, a
   * tick runs and each of its messages is delivered once. Anything a fault left behind is then
   * published.
   */
  async settle(rounds = 1): Promise<void> {
    for (let round = 0; round < rounds; round++) {
      this.advance(this.claimMs + 1_000);
      for (const message of await this.tick()) await this.deliver({ message });
    }
  }

  /** Events fetched per customer so far (Capillary event requests), by customer id. */
  fetches(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const request of this.capillary.eventRequests()) {
      const id = request.customerId ?? '';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * What the stream served against what the bus received: events never published (`lost`) and
   * event keys published more than once (`duplicated`).
   */
  report() {
    const byKey = new Map<string, number>();
    for (const entry of this.eventBridge.accepted) {
      const key = eventKeyOf(entry);
      byKey.set(key, (byKey.get(key) ?? 0) + 1);
    }
    const { served, lost } = deliveryReport(this.stream.served, this.eventBridge.accepted);
    return {
      served,
      published: this.eventBridge.accepted.length,
      lost,
      duplicated: [...byKey].filter(([, count]) => count > 1).map(([key]) => key),
    };
  }

  async close(): Promise<void> {
    vi.useRealTimers();
    for (const close of this.#closers) await close();
    await Promise.all([this.capillary.close(), this.eventBridge.close(), this.sqs.close()]);
    this.dynamo.destroy();
    this.env.restore();
  }

  async #container(index: number): Promise<WorkerHandler> {
    while (this.#workers.length <= index) {
      vi.resetModules();
      const worker = (await import('../../functions/worker/handler.js')) as {
        handler: WorkerHandler;
      };
      // Imported after the worker, from the same fresh registry: that container's own pool.
      const pool = await import('../../src/adapters/capillary/capillary-transport.js');
      this.#closers.push(pool.closeSharedDispatcher);
      this.#workers.push(worker.handler);
    }
    return this.#workers[index] as WorkerHandler;
  }

  async #invoke(runs: readonly (readonly [Delivery, number])[]): Promise<WorkerRun[]> {
    const handlers = await Promise.all(runs.map(([, container]) => this.#container(container)));
    // One capture for all: the invocations' output interleaves.
    const contexts = runs.map(([delivery]) =>
      fakeContext('capillary-worker', delivery.remainingMs ?? 60_000),
    );
    const { result, lines, stderr } = await captureOutput(() =>
      Promise.all(
        runs.map(([delivery], index) =>
          (handlers[index] as WorkerHandler)(sqsEvent(delivery), contexts[index] as Context),
        ),
      ),
    );
    const logs = [...lines, ...stderr.split('\n')].flatMap(parseLine);
    this.logs = logs;
    return runs.map((_, index) => {
      const requestId = (contexts[index] as Context).awsRequestId;
      // Concurrent invocations in one process share Powertools' context: the delivery token,
      // which ends with the invocation's request id, tells their summaries apart.
      const finished = logs.find(
        (line) =>
          line.message === 'Work finished' &&
          String((line.summary as { delivery?: unknown }).delivery).endsWith(requestId),
      ) as { summary: WorkerRun['summary'] } | undefined;
      if (!finished) throw new Error(`worker invocation ${requestId} logged no "Work finished"`);
      return { result: result[index] as SQSBatchResponse, summary: finished.summary };
    });
  }
}

function parseLine(line: string): Record<string, unknown>[] {
  if (!line.startsWith('{')) return [];
  try {
    return [JSON.parse(line) as Record<string, unknown>];
  } catch {
    return [];
  }
}

/** The SQS event the event source mapping hands a worker for one receive of a message. */
function sqsEvent(delivery: Delivery): SQSEvent {
  const { message } = delivery;
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: message.messageId,
        // Every receive gets a new receipt handle, as in SQS.
        receiptHandle: `receipt-${message.messageId}-${randomUUID()}`,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(delivery.receiveCount ?? 1),
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
