import path from 'node:path';
import type { Writable } from 'node:stream';
import { closeSharedDispatcher } from '../adapters/capillary/capillary-transport.js';
import { batchAddCustomers } from '../adapters/dynamodb/batch-add-customers.js';
import { createCursorTable } from '../adapters/dynamodb/create-cursor-table.js';
import { openEmbeddedDynamoDb } from '../adapters/dynamodb/embedded-dynamodb.js';
import { EmbeddedDeadLetterQueue } from '../adapters/embedded/embedded-dead-letter-queue.js';
import { closeWebhookDispatcher } from '../adapters/webhook/webhook-sender.js';
import type { Settings } from '../config/settings.js';
import { type CustomerState, newCustomerState } from '../domain/customer-state.js';
import type { ChangeFeed } from '../domain/feed/change-feed.js';
import { FeedLearning, type IdentifierPair } from '../domain/feed/feed-learning.js';
import type { CursorStore, EventPublisher, FeedCursorStore, Logger } from '../domain/ports.js';
import type { DeadLetterQueue, RedriveTarget } from '../domain/publish/dead-letter-redrive.js';
import type { SecretRedactor } from '../domain/redaction.js';
import {
  DEFAULT_NEW_EVENT_EVERY_MS,
  SANDBOX_CUSTOMER_ID,
  startCapillarySandbox,
} from '../sandbox/capillary-sandbox.js';
import { POLLER_VERSION } from '../version.js';
import { createDynamoDbClient, loopbackCredentials } from './aws-clients.js';
import {
  createCursorStore,
  createDeadLetterQueue,
  createEventPublisher,
  createPollDependencies,
  createWebhookDeadLetters,
  type PollerDependencies,
  type WebhookTarget,
} from './create-adapters.js';
import { createChangeFeed, createFeedStore, createIdentifierIndex } from './create-change-feed.js';
import { firstSandboxSeed } from './sandbox-seed-marker.js';

/** Where the embedded DynamoDB keeps its data, relative to the working directory. */
const EMBEDDED_DATA_DIRECTORY = path.join('.data', 'dynalite');
/** Where the embedded dead-letter queue keeps parked events (no DLQ_URL, events on stdout). */
const EMBEDDED_DEAD_LETTER_DIRECTORY = path.join('.data', 'dead-letters');
/** Poll period when none is set: a minute, or 5 s on the sandbox so a newcomer sees events flow. */
const DEFAULT_INTERVAL_SECONDS = 60;
/** Poll period on the sandbox when none is set. */
export const SANDBOX_INTERVAL_SECONDS = 5;

/** What the CLI works with: configured services, or embedded stand-ins where nothing is set. */
export interface Runtime {
  store: CursorStore;
  ensureTable(): Promise<'created' | 'exists' | 'updated'>;
  /**
   * Adds many new customers with batched reads and writes; per state, `false` when it was
   * already watched (left as it is).
   */
  addCustomers(
    states: readonly CustomerState[],
    onProgress?: (done: number) => void,
  ): Promise<boolean[]>;
  /** Stores identifiers given on `watch add` in the change feed's index (keyed hashes only). */
  learnIdentifiers(pairs: readonly IdentifierPair[]): Promise<void>;
  /**
   * Builds the sweep's dependencies (starting the sandbox when no Capillary URL is set), and the
   * change feed unless `CHANGE_FEED=off`.
   */
  pollDependencies(): Promise<
    PollerDependencies & {
      changeFeed: ChangeFeed | undefined;
      /** The feed's cursor, for its health before each sweep (`currentBackstop`). */
      feedCursors: FeedCursorStore | undefined;
    }
  >;
  /** The dead-letter queue (DLQ_URL's, or the embedded one) and the publisher to redrive through. */
  deadLetters(): { queue: DeadLetterQueue; publisher: EventPublisher };
  /**
   * A webhook's dead-letter queue and its own queue to redrive to (`dlq --webhook <name>`; needs
   * WEBHOOK_QUEUES).
   */
  webhookDeadLetters(name: string): {
    queue: DeadLetterQueue<string>;
    publisher: RedriveTarget<string>;
  };
  /** One line per embedded default in use, for the banner. */
  banner: string[];
  defaultIntervalSeconds: number;
  version: string;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  /** The process's secret registry: the Capillary client adds what it learns to it. */
  redactor?: SecretRedactor;
  stdout: Writable;
  /** `poll` needs Capillary and a publisher; the watch commands need only the table. */
  forPolling: boolean;
  /** The `dlq` commands need the queue and a publisher, not the table. */
  forDeadLetters?: boolean;
  /**
   * `poll --webhook`: events go there, signed, instead of to the bus; `secretShown` puts a secret
   * made for this run in the banner (the receiver needs it).
   */
  webhook?: (WebhookTarget & { secretShown: boolean }) | undefined;
}

export async function createRuntime(settings: Settings, options: RuntimeOptions): Promise<Runtime> {
  const closers: (() => Promise<void>)[] = [];
  const banner: string[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    let endpoint = settings.table.endpoint === 'embedded' ? undefined : settings.table.endpoint;
    const embeddedTable = settings.table.endpoint === 'embedded' && !options.forDeadLetters;
    if (embeddedTable) {
      // `poll` (npm start) serves the embedded database to the commands of other terminals.
      const embedded = await openEmbeddedDynamoDb({
        directory: EMBEDDED_DATA_DIRECTORY,
        announce: options.forPolling,
      });
      closers.push(() => embedded.close());
      endpoint = embedded.endpoint;
      banner.push(
        embedded.origin === 'joined'
          ? `• DynamoDB: embedded (dynalite), shared with the poller running on this machine (${embedded.endpoint.host}) — set TABLE_NAME to use a real table`
          : `• DynamoDB: embedded (dynalite), data kept in ${EMBEDDED_DATA_DIRECTORY}/ — set TABLE_NAME to use a real table`,
      );
    }
    const client = createDynamoDbClient({
      region: settings.region,
      endpoint,
      credentials: loopbackCredentials(endpoint),
    });
    closers.push(async () => client.destroy());
    const store = createCursorStore(client, settings);
    const ensureTable = () => createCursorTable(client, settings.table.name);
    if (embeddedTable) await ensureTable();

    const sandboxed = settings.capillary.baseUrl === undefined;
    if (options.forPolling && sandboxed) {
      banner.push(
        `• Capillary: built-in sandbox serving the reference sample for customer ${SANDBOX_CUSTOMER_ID}, a new event every ${DEFAULT_NEW_EVENT_EVERY_MS / 1000} s — set CAPILLARY_BASE_URL to poll the real API`,
      );
    }
    if (options.forPolling && sandboxed && settings.changeFeed.enabled) {
      banner.push(
        `• Change feed: the sandbox's org-wide event log is read every ${settings.changeFeed.feed.intervalMs / 1000} s; an event of a known customer there makes it due at once (a hinted poll) — CHANGE_FEED=off polls by schedule only`,
      );
    }
    const { webhook } = options;
    if (options.forPolling && !webhook && settings.events.sink === 'stdout') {
      banner.push(
        '• Events: printed to stdout as PutEvents entries, one JSON line each — set EVENT_BUS_NAME to publish to EventBridge',
      );
    }
    // Events that stay on this machine park on this machine: `dlq` works without AWS.
    const embeddedDeadLetters =
      settings.events.deadLetterQueueUrl === undefined && settings.events.sink === 'stdout'
        ? new EmbeddedDeadLetterQueue({ directory: EMBEDDED_DEAD_LETTER_DIRECTORY })
        : undefined;
    if (embeddedDeadLetters && (options.forPolling || options.forDeadLetters)) {
      banner.push(
        `• Dead-letter queue: embedded, events that cannot be published kept in ${EMBEDDED_DEAD_LETTER_DIRECTORY}/ (npm run cli -- dlq list) — set DLQ_URL to use an SQS queue`,
      );
    }
    if (banner.length > 0) {
      banner.unshift(
        'capillary-event-poller: running on embedded defaults (all or nothing: set CAPILLARY_BASE_URL, TABLE_NAME and EVENT_BUS_NAME together)',
      );
    }
    if (options.forPolling && webhook) {
      // The origin only: a path or query may carry a credential.
      banner.push(
        `• Events: POSTed to the webhook at ${webhook.url.origin}, signed (webhook-id, webhook-timestamp, webhook-signature), instead of to the bus`,
      );
      if (webhook.secretShown) {
        banner.push(
          `• Webhook signing secret made for this run: ${webhook.secret} — pass --signing-secret to keep one`,
        );
      }
    }

    return {
      store,
      ensureTable,
      addCustomers: (states, onProgress) =>
        batchAddCustomers(states, { client, tableName: settings.table.name, onProgress }),
      async learnIdentifiers(pairs) {
        const index = await createIdentifierIndex(settings, {
          client,
          tableName: settings.table.name,
        });
        await index.learn(pairs);
      },
      banner,
      version: POLLER_VERSION,
      defaultIntervalSeconds: sandboxed ? SANDBOX_INTERVAL_SECONDS : DEFAULT_INTERVAL_SECONDS,
      close,
      deadLetters: () => ({
        queue: createDeadLetterQueue(settings, embeddedDeadLetters),
        publisher: createEventPublisher(settings, options),
      }),
      webhookDeadLetters: (name) => createWebhookDeadLetters(settings, name),
      async pollDependencies() {
        let capillaryBaseUrl = settings.capillary.baseUrl;
        if (!capillaryBaseUrl) {
          const sandbox = await startCapillarySandbox();
          closers.push(() => sandbox.close());
          capillaryBaseUrl = sandbox.url;
          // Once per table: a user who removed the sandbox customer keeps it removed.
          const table = `${settings.table.endpoint === 'embedded' ? 'embedded' : (settings.table.endpoint?.href ?? 'aws')} ${settings.table.name}`;
          if (await firstSandboxSeed(table)) {
            await store.addCustomer(
              newCustomerState(
                { customerId: SANDBOX_CUSTOMER_ID, scope: 'default', backfill: true },
                new Date(),
              ),
            );
          }
        }
        closers.push(closeSharedDispatcher);
        if (webhook) closers.push(closeWebhookDispatcher);
        const table = { client, tableName: settings.table.name };
        const feedParts = settings.changeFeed.enabled
          ? { index: await createIdentifierIndex(settings, table), learning: new FeedLearning() }
          : undefined;
        const deps = createPollDependencies(settings, {
          logger: options.logger,
          ...(options.redactor ? { redactor: options.redactor } : {}),
          stdout: options.stdout,
          store,
          capillaryBaseUrl,
          credentials: settings.capillary.credentials,
          embeddedDeadLetters,
          webhook,
          // A real table is shared with other pollers (several CLI polls, the Lambda workers):
          // so is the Capillary budget. The embedded one belongs to this process alone.
          quotaTable:
            settings.table.endpoint === 'embedded'
              ? undefined
              : { client, tableName: settings.table.name },
          feedParts,
        });
        const changeFeed =
          feedParts &&
          createChangeFeed(settings, {
            ...feedParts,
            table,
            log: deps.eventLog,
            lookup: deps.customerLookup,
            logger: deps.logger,
          });
        return { ...deps, changeFeed, feedCursors: feedParts && createFeedStore(table) };
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
