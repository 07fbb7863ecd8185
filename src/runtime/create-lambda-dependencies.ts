// The composition root of the Lambda handlers: what each builds once per container, from the
// environment, through the same adapter factories as the CLI (create-adapters.ts).
import { schedulePolicy } from '../config/settings.js';
import { ConfigError, ConfigErrors } from '../domain/errors.js';
import type { ChangeFeed } from '../domain/feed/change-feed.js';
import { currentBackstop } from '../domain/feed/feed-backstop.js';
import { FeedLearning } from '../domain/feed/feed-learning.js';
import { laneLimit } from '../domain/feed/priority-lane.js';
import type { PollWorkOptions } from '../domain/poll/poll-work.js';
import type { Logger } from '../domain/ports.js';
import { type runTick, type TickOptions, tickLimit } from '../domain/schedule/schedule-tick.js';
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
import {
  invocationDeadlines,
  LAMBDA_DEFAULT_INTERVAL_SECONDS,
  tickDeadline,
  tickRequestsBy,
} from './lambda-runtime.js';
import { type LambdaSettings, loadLambdaSettings } from './lambda-settings.js';

/**
 * When the running invocation's requests must be over, epoch ms: set as each invocation begins
 * (`beginTick`, `beginWork`); the clients, built once per container, read them at each request.
 */
interface RequestDeadlines {
  /** Every AWS request (the cursor write included). */
  requestsBy: number;
  /** Capillary requests, PutEvents and parking: what must be over before the cursor write. */
  publishBy: number;
}

/** What a handler hands the dependencies of its invocation: the Lambda context fits. */
interface Invocation {
  awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/** What `runTick` needs, and the options of each invocation's tick. */
export interface SchedulerDependencies {
  tick: Parameters<typeof runTick>[0];
  /**
   * Starts an invocation's tick: from now on its requests end 1 s before the invocation does.
   * The tick's deadline and the feed's health are the invocation's (the feed cursor is read
   * each time); its quota, lane and policy are the container's, from the settings.
   */
  beginTick(invocation: Invocation): Promise<TickOptions>;
}

/** What `pollWork` needs, and the options of each message's work. */
export interface WorkerDependencies {
  poll: PollerDependencies;
  /**
   * Starts the work of one message, each customer taken over as `takeOverAs`: from now on its
   * requests are cut at the invocation's deadlines, which its options carry too.
   */
  beginWork(invocation: Invocation, takeOverAs: string): PollWorkOptions;
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
  // The change feed's cursor, read each tick for the feed's health; none with CHANGE_FEED=off.
  const feedCursors = settings.changeFeed.enabled
    ? createFeedStore({ client, tableName: settings.table.name })
    : undefined;
  const policy = schedulePolicy(settings, LAMBDA_DEFAULT_INTERVAL_SECONDS);
  const limit = tickLimit(
    settings.capillary.requestsPerSecond,
    policy.minIntervalMs / 1000,
    settings.poll.sweepMaxPolls,
  );
  // What every tick of the container takes: its quota, the priority lane's share, the policy.
  const quota = {
    limit,
    laneLimit: laneLimit(limit, settings.changeFeed.hintShare),
    policy,
    claimMs: settings.poll.claimSeconds * 1000,
  };
  const feedTimes = {
    backstopMs: settings.changeFeed.backstopMs,
    feedIntervalMs: settings.changeFeed.feed.intervalMs,
  };
  return {
    tick: { store, workQueue, logger, clock: () => new Date() },
    async beginTick(invocation) {
      const now = Date.now();
      const remainingMs = invocation.getRemainingTimeInMillis();
      deadlines.requestsBy = tickRequestsBy(now, remainingMs);
      return {
        ...quota,
        owner: `tick-${invocation.awsRequestId}`,
        now,
        backstop: await currentBackstop(feedCursors, now, feedTimes, logger),
        deadline: tickDeadline(now, remainingMs),
      };
    },
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
  return {
    poll,
    beginWork(invocation, takeOverAs) {
      const { requestsBy, ...times } = invocationDeadlines(
        Date.now(),
        invocation.getRemainingTimeInMillis(),
        settings.capillary.timeoutMs,
      );
      // Read by every client at each request: nothing outlives the invocation.
      Object.assign(deadlines, { requestsBy, publishBy: times.publishBy });
      return { ...options, ...times, takeOverAs };
    },
  };
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
