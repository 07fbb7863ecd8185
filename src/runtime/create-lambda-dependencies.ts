// The composition root of the Lambda handlers: what each builds once per container, from the
// environment, through the same adapter factories as the CLI (create-adapters.ts).
import { schedulePolicy } from '../config/settings.js';
import { ConfigError, ConfigErrors } from '../domain/errors.js';
import type { ChangeFeed } from '../domain/feed/change-feed.js';
import { FeedLearning } from '../domain/feed/feed-learning.js';
import type { PollWorkOptions } from '../domain/poll/poll-work.js';
import type { FeedCursorStore, Logger } from '../domain/ports.js';
import type { runTick } from '../domain/schedule/schedule-tick.js';
import { POLLER_VERSION } from '../version.js';
import { createDynamoDbClient, loopbackCredentials } from './aws-clients.js';
import { credentialsLoader } from './capillary-secret.js';
import {
  createCursorStore,
  createPollDependencies,
  createWorkQueue,
  type PollerDependencies,
} from './create-adapters.js';
import { createChangeFeed, createFeedStore, createIdentifierIndex } from './create-change-feed.js';
import { LAMBDA_DEFAULT_INTERVAL_SECONDS } from './lambda-runtime.js';
import { type LambdaSettings, loadLambdaSettings } from './lambda-settings.js';

/**
 * When the running invocation's requests must be over, epoch ms: the handler sets them as each
 * invocation starts; the clients, built once per container, read them at each request.
 */
interface RequestDeadlines {
  /** Every AWS request (the cursor write included). */
  requestsBy: number;
  /** Capillary requests, PutEvents and parking: what must be over before the cursor write. */
  publishBy: number;
}

/** The scheduler's settings and what `runTick` needs. */
export interface SchedulerDependencies {
  settings: LambdaSettings;
  tick: Parameters<typeof runTick>[0];
  deadlines: RequestDeadlines;
  /** The change feed's cursor, read each tick for the feed's health; unset with `CHANGE_FEED=off`. */
  feedCursors: FeedCursorStore | undefined;
}

/** The worker's settings, what `pollWork` needs, and its options but for the invocation's deadlines and token. */
export interface WorkerDependencies {
  settings: LambdaSettings;
  poll: PollerDependencies;
  options: Omit<PollWorkOptions, 'deadline' | 'publishBy' | 'takeOverAs'>;
  deadlines: RequestDeadlines;
}

function unboundedDeadlines(): RequestDeadlines {
  return { requestsBy: Number.POSITIVE_INFINITY, publishBy: Number.POSITIVE_INFINITY };
}

function createTable(settings: LambdaSettings, deadlines: RequestDeadlines) {
  const { endpoint } = settings.table;
  const client = createDynamoDbClient({
    region: settings.region,
    endpoint,
    credentials: loopbackCredentials(endpoint),
    deadline: () => deadlines.requestsBy,
  });
  return { client, store: createCursorStore(client, settings) };
}

export function createSchedulerDependencies(
  env: NodeJS.ProcessEnv,
  logger: Logger,
): SchedulerDependencies {
  const settings = loadLambdaSettings(env);
  const deadlines = unboundedDeadlines();
  const { client, store } = createTable(settings, deadlines);
  const workQueue = createWorkQueue(settings, env, () => deadlines.requestsBy);
  const feedCursors = settings.changeFeed.enabled
    ? createFeedStore({ client, tableName: settings.table.name })
    : undefined;
  return {
    settings,
    tick: { store, workQueue, logger, clock: () => new Date() },
    deadlines,
    feedCursors,
  };
}

export function createWorkerDependencies(
  env: NodeJS.ProcessEnv,
  logger: Logger,
): WorkerDependencies {
  const settings = loadLambdaSettings(env);
  const deadlines = unboundedDeadlines();
  const { client, store } = createTable(settings, deadlines);
  const poll = createPollDependencies(settings, {
    logger,
    stdout: process.stdout,
    store,
    // Every worker and CLI poll on the table shares CAPILLARY_RPS through it.
    quotaTable: { client, tableName: settings.table.name },
    capillaryBaseUrl: settings.capillary.baseUrl,
    credentials: credentialsLoader(settings, undefined, () => deadlines.requestsBy),
    publishDeadline: () => deadlines.publishBy,
  });
  const options = {
    concurrency: settings.poll.concurrency,
    // Sized from CAPILLARY_RPS and the observed latency; POLL_CONCURRENCY only bounds it.
    inFlightLimit: poll.inFlightLimit,
    psiMode: settings.poll.psiMode,
    seenCapacity: settings.poll.seenCapacity,
    version: POLLER_VERSION,
    policy: schedulePolicy(settings, LAMBDA_DEFAULT_INTERVAL_SECONDS),
    requestsPerSecond: settings.capillary.requestsPerSecond,
  };
  return { settings, poll, options, deadlines };
}

/** The feed function's settings and feed (`undefined` with `CHANGE_FEED=off`). */
export interface FeedDependencies {
  settings: LambdaSettings;
  feed: ChangeFeed | undefined;
  deadlines: RequestDeadlines;
}

/**
 * The change feed on Lambda: the same Capillary client and shared quota as the workers. It learns
 * identifiers only from `watch add` (the index in the table): the workers' fetched request ids
 * stay in their own containers.
 */
export async function createFeedDependencies(
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<FeedDependencies> {
  const settings = loadLambdaSettings(env);
  const deadlines = unboundedDeadlines();
  if (!settings.changeFeed.enabled) return { settings, feed: undefined, deadlines };
  if (settings.identifierKeySecretArn === undefined) {
    // A key generated in the container would hash differently from every other writer's.
    throw new ConfigErrors([
      new ConfigError('IDENTIFIER_KEY_SECRET_ARN', 'is required here (the construct sets it)'),
    ]);
  }
  const { client, store } = createTable(settings, deadlines);
  const table = { client, tableName: settings.table.name };
  const poll = createPollDependencies(settings, {
    logger,
    stdout: process.stdout,
    store,
    quotaTable: table,
    capillaryBaseUrl: settings.capillary.baseUrl,
    credentials: credentialsLoader(settings, undefined, () => deadlines.requestsBy),
    publishDeadline: () => deadlines.publishBy,
  });
  const index = await createIdentifierIndex(settings, table);
  const feed = createChangeFeed(settings, {
    index,
    learning: new FeedLearning(),
    table,
    log: poll.eventLog,
    lookup: poll.customerLookup,
    logger: poll.logger,
  });
  return { settings, feed, deadlines };
}
