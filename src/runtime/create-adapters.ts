// The one place adapters are built from settings: the CLI and the Lambda both come through here.
import type { Writable } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CredentialsSource } from '../adapters/capillary/capillary-auth.js';
import { CapillaryClient } from '../adapters/capillary/capillary-client.js';
import { TokenBucket } from '../adapters/capillary/capillary-transport.js';
import { DynamoDbCursorStore } from '../adapters/dynamodb/dynamodb-cursor-store.js';
import { DynamoDbQuotaGate } from '../adapters/dynamodb/dynamodb-quota-gate.js';
import type { EmbeddedDeadLetterQueue } from '../adapters/embedded/embedded-dead-letter-queue.js';
import { BatchingPublisher } from '../adapters/eventbridge/batching-publisher.js';
import { EventBridgePublisher } from '../adapters/eventbridge/eventbridge-publisher.js';
import { SqsDeadLetterQueue } from '../adapters/sqs/sqs-dead-letter-queue.js';
import { SqsDeadLetterSink } from '../adapters/sqs/sqs-dead-letter-sink.js';
import { SqsWorkQueue } from '../adapters/sqs/sqs-work-queue.js';
import { StdoutPublisher } from '../adapters/stdout/stdout-publisher.js';
import { readWebhookParked, WebhookQueueTarget } from '../adapters/webhook/webhook-dead-letters.js';
import { WebhookPublisher } from '../adapters/webhook/webhook-publisher.js';
import { ServiceUrlSchema, type Settings } from '../config/settings.js';
import { ConfigError, ConfigErrors } from '../domain/errors.js';
import { inFlightFor, LatencyEstimate } from '../domain/poll/adaptive-concurrency.js';
import type { PollDependencies } from '../domain/poll/poll-customer.js';
import type {
  CursorStore,
  CustomerLookup,
  DeadLetterSink,
  EventLogSource,
  EventPublisher,
  Logger,
  OutgoingEvent,
  QuotaGate,
} from '../domain/ports.js';
import type { DeadLetterQueue, RedriveTarget } from '../domain/publish/dead-letter-redrive.js';
import { SecretRedactor } from '../domain/redaction.js';
import { createEventBridgeClient, createSqsClient, loopbackCredentials } from './aws-clients.js';
import { type FeedParts, learningEventsSource } from './create-change-feed.js';

/** An SQS client for a queue: at SQS_ENDPOINT when set, else at the queue's own URL. */
function sqsClientFor(settings: Settings, queueUrl: URL, deadline?: () => number) {
  const { sqsEndpoint } = settings.events;
  return createSqsClient({
    region: settings.region,
    endpoint: sqsEndpoint,
    credentials: loopbackCredentials(sqsEndpoint ?? queueUrl),
    deadline,
  });
}

export function createCursorStore(client: DynamoDBClient, settings: Settings): CursorStore {
  return new DynamoDbCursorStore({ client, tableName: settings.table.name });
}

interface AdapterContext {
  logger: Logger;
  /** Where the stdout sink writes. */
  stdout: Writable;
  store: CursorStore;
  /** The Capillary base URL in use (the sandbox's when none is configured). */
  capillaryBaseUrl: URL;
  /** Configured credentials, a loader (Secrets Manager), or none (the sandbox). */
  credentials: CredentialsSource;
  /** The process's secret registry (the CLI's, whose output it redacts). Default: a new one. */
  redactor?: SecretRedactor;
  clock?: () => Date;
  /**
   * The poller's table: its `quota#capillary` item holds the Capillary budget (`CAPILLARY_RPS`)
   * of every poller on it, Lambda workers and CLI `poll`s alike. Unset: a budget of this process
   * alone (the embedded table, which no other process can share).
   */
  quotaTable: { client: DynamoDBClient; tableName: string } | undefined;
  /** `poll --webhook`: events are delivered there, signed, instead of to the bus. */
  webhook?: WebhookTarget | undefined;
  /** Where a local run parks events when no DLQ_URL is set (under `.data/`). */
  embeddedDeadLetters?: DeadLetterSink | undefined;
  /**
   * Epoch ms by which a poll's Capillary requests, PutEvents and parking must be over, read at
   * each request (a Lambda invocation's `publishBy`: the cursor write still fits after it).
   * Unset (the CLI): each request's own timeout alone.
   */
  publishDeadline?: (() => number) | undefined;
  /** The change feed's index and learning: polls teach it the identifiers of what they fetch. */
  feedParts?: FeedParts | undefined;
}

/** What the sweep needs, plus what sizes it and measures it. */
export interface PollerDependencies extends PollDependencies {
  /**
   * Customers to have in flight now: Little's law from `CAPILLARY_RPS` and the observed Capillary
   * latency (src/domain/poll/adaptive-concurrency.ts), at most `POLL_CONCURRENCY` when set.
   */
  inFlightLimit(): number;
  /** Capillary requests this process has sent (retries and token calls included). */
  capillaryRequests(): number;
  /** The budget every Capillary request takes from. */
  quota: QuotaGate;
  /** The org-wide event log, through the same client and quota as the polls. */
  eventLog: EventLogSource;
  /** Capillary's customer lookup (the feed's `CHANGE_FEED_LOOKUP`), same client and quota. */
  customerLookup: CustomerLookup;
}

function createQuotaGate(settings: Settings, context: AdapterContext): QuotaGate {
  const { requestsPerSecond } = settings.capillary;
  if (!context.quotaTable) return new TokenBucket({ ratePerSecond: requestsPerSecond });
  return new DynamoDbQuotaGate({
    client: context.quotaTable.client,
    tableName: context.quotaTable.tableName,
    ratePerSecond: requestsPerSecond,
    logger: context.logger,
  });
}

/** Where `poll --webhook` delivers events instead of the bus, and the secret it signs with. */
export interface WebhookTarget {
  url: URL;
  secret: string;
}

/**
 * Where events go: EventBridge, or stdout when no bus is set, or `poll --webhook`'s endpoint.
 * Redrive uses the same one.
 */
export function createEventPublisher(
  settings: Settings,
  context: {
    logger: Logger;
    stdout: Writable;
    webhook?: WebhookTarget | undefined;
    publishDeadline?: (() => number) | undefined;
  },
): EventPublisher {
  const { events } = settings;
  if (context.webhook) {
    return new WebhookPublisher({
      ...context.webhook,
      source: events.source,
      region: settings.region,
    });
  }
  return events.sink === 'stdout'
    ? new StdoutPublisher({
        stream: context.stdout,
        busName: events.busName,
        source: events.source,
      })
    : new EventBridgePublisher({
        client: createEventBridgeClient({
          region: settings.region,
          endpoint: events.endpoint,
          credentials: loopbackCredentials(events.endpoint),
          deadline: context.publishDeadline,
        }),
        busName: events.busName,
        source: events.source,
        logger: context.logger,
        deadline: context.publishDeadline,
      });
}

/** The poller's dead-letter queue read back (`dlq` commands): DLQ_URL's, else the embedded one. */
export function createDeadLetterQueue(
  settings: Settings,
  embedded?: EmbeddedDeadLetterQueue,
): DeadLetterQueue {
  const { events } = settings;
  if (!events.deadLetterQueueUrl && embedded) return embedded;
  if (!events.deadLetterQueueUrl) {
    throw new ConfigError(
      'DLQ_URL',
      "not set: the dlq commands read the poller's dead-letter queue (the stack output DeadLetterQueueUrl)",
    );
  }
  return new SqsDeadLetterQueue({
    client: sqsClientFor(settings, events.deadLetterQueueUrl),
    queueUrl: events.deadLetterQueueUrl,
  });
}

/**
 * One webhook's dead-letter queue read back, and its queue to redrive to (`dlq --webhook <name>`);
 * needs WEBHOOK_QUEUES.
 */
export function createWebhookDeadLetters(
  settings: Settings,
  name: string,
): { queue: DeadLetterQueue<string>; publisher: RedriveTarget<string> } {
  const queues = settings.events.webhookQueues;
  if (queues === undefined) {
    throw new ConfigError(
      'WEBHOOK_QUEUES',
      `not set: dlq --webhook ${name} reads that webhook's queues (the stack output WebhookQueues)`,
    );
  }
  const found = queues[name];
  if (found === undefined) {
    const known = Object.keys(queues);
    throw new ConfigError(
      'WEBHOOK_QUEUES',
      `has no webhook ${JSON.stringify(name)} (it lists ${known.length === 0 ? 'none' : known.map((each) => JSON.stringify(each)).join(', ')})`,
    );
  }
  return {
    queue: new SqsDeadLetterQueue({
      client: sqsClientFor(settings, found.dlqUrl),
      queueUrl: found.dlqUrl,
      read: readWebhookParked,
    }),
    publisher: new WebhookQueueTarget({
      client: sqsClientFor(settings, found.queueUrl),
      queueUrl: found.queueUrl.toString(),
    }),
  };
}

/** Everything one sweep needs, built once per process and reused. */
export function createPollDependencies(
  settings: Settings,
  context: AdapterContext,
): PollerDependencies {
  // Every log line of a poll is redacted with the secrets the Capillary client learns.
  const redactor = context.redactor ?? new SecretRedactor();
  const logger = redactor.logger(context.logger);
  const quota = createQuotaGate(settings, context);
  const latency = new LatencyEstimate();
  const source = new CapillaryClient({
    baseUrl: context.capillaryBaseUrl,
    eventsPath: settings.capillary.eventsPath,
    eventLog: settings.changeFeed.eventLog,
    ...(settings.changeFeed.lookup
      ? {
          customerLookup: {
            source: settings.changeFeed.lookup.source,
            identifierName: settings.changeFeed.lookup.identifierName,
          },
        }
      : {}),
    credentials: context.credentials,
    timeoutMs: settings.capillary.timeoutMs,
    deadline: context.publishDeadline,
    maxAttempts: settings.capillary.maxAttempts,
    requestsPerSecond: settings.capillary.requestsPerSecond,
    quota,
    onRequest: ({ latencyMs }) => latency.observe(latencyMs),
    redactor,
    logger: context.logger,
  });
  const { events } = settings;
  // Events of concurrent customers share PutEvents requests (10 entries each, not one per customer).
  const inner = createEventPublisher(settings, context);
  const publisher = new BatchingPublisher({
    inner,
    ...(inner instanceof EventBridgePublisher
      ? { sizeOf: (event: OutgoingEvent) => inner.entrySize(event) }
      : {}),
  });
  const deadLetters = events.deadLetterQueueUrl
    ? new SqsDeadLetterSink({
        client: sqsClientFor(settings, events.deadLetterQueueUrl, context.publishDeadline),
        queueUrl: events.deadLetterQueueUrl,
        maxMessageBytes: events.deadLetterMaxMessageBytes,
        logger,
        redact: (text) => redactor.redact(text),
      })
    : context.embeddedDeadLetters;
  return {
    source: context.feedParts ? learningEventsSource(source, context.feedParts, logger) : source,
    eventLog: source,
    customerLookup: source,
    store: context.store,
    publisher,
    deadLetters,
    logger,
    clock: context.clock ?? (() => new Date()),
    quota,
    capillaryRequests: () => source.requestsSent(),
    inFlightLimit: () =>
      inFlightFor(settings.capillary.requestsPerSecond, latency.ms, {
        max: settings.poll.maxConcurrency,
      }),
  };
}

/** The scheduler's work queue (`WORK_QUEUE_URL`, set by the construct). */
export function createWorkQueue(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  deadline?: () => number,
): SqsWorkQueue {
  const parsed = ServiceUrlSchema.safeParse(env.WORK_QUEUE_URL ?? '');
  if (!env.WORK_QUEUE_URL || !parsed.success) {
    const problem = env.WORK_QUEUE_URL
      ? (parsed.error?.issues[0]?.message ?? 'must be the work queue URL')
      : 'is required here (the construct sets it)';
    throw new ConfigErrors([new ConfigError('WORK_QUEUE_URL', problem)]);
  }
  const queueUrl = parsed.data;
  return new SqsWorkQueue({
    client: sqsClientFor(settings, queueUrl, deadline),
    queueUrl,
  });
}
