// The change feed's composition, shared by `poll` (in-process, beside the sweeps) and the feed
// Lambda: the identifier index under the deployment's key, the learning, the cursor and the hints.
import { DynamoDbFeedStore } from '../adapters/dynamodb/dynamodb-feed-store.js';
import { DynamoDbIdentifierIndex } from '../adapters/dynamodb/identifier-index.js';
import type { Settings } from '../config/settings.js';
import { describeError } from '../domain/errors.js';
import { ChangeFeed } from '../domain/feed/change-feed.js';
import type { FeedLearning } from '../domain/feed/feed-learning.js';
import { IdentifierLookup } from '../domain/feed/identifier-lookup.js';
import type {
  CustomerEventsSource,
  CustomerLookup,
  EventLogSource,
  IdentifierIndex,
  Logger,
} from '../domain/ports.js';
import { loadIdentifierHashKey } from './identifier-hash-key.js';

interface FeedTable {
  client: ConstructorParameters<typeof DynamoDbFeedStore>[0]['client'];
  tableName: string;
}

/** The identifier index of the table, under the key of `IDENTIFIER_KEY_SECRET_ARN` (or `.data/`). */
export async function createIdentifierIndex(
  settings: Pick<Settings, 'identifierKeySecretArn'>,
  table: FeedTable,
): Promise<DynamoDbIdentifierIndex> {
  const hashKey = await loadIdentifierHashKey({ secretArn: settings.identifierKeySecretArn });
  return new DynamoDbIdentifierIndex({ ...table, hashKey });
}

/** What the feed and the polls that teach it share. */
export interface FeedParts {
  index: IdentifierIndex;
  learning: FeedLearning;
}

/** The feed's cursor (and hints) in the table: what the scheduler reads for the feed's health. */
export function createFeedStore(table: FeedTable): DynamoDbFeedStore {
  return new DynamoDbFeedStore(table);
}

/** The change feed; with `CHANGE_FEED_LOOKUP=on`, unknown values are looked up through `lookup`. */
export function createChangeFeed(
  settings: Pick<Settings, 'changeFeed'>,
  context: FeedParts & {
    table: FeedTable;
    log: EventLogSource;
    lookup: CustomerLookup;
    logger: Logger;
  },
): ChangeFeed {
  const store = createFeedStore(context.table);
  const lookupSettings = settings.changeFeed.lookup;
  return new ChangeFeed(
    {
      log: context.log,
      index: context.index,
      learning: context.learning,
      cursors: store,
      hints: store,
      logger: context.logger,
      lookup:
        lookupSettings &&
        new IdentifierLookup(
          { lookup: context.lookup, watched: store, logger: context.logger },
          lookupSettings,
        ),
    },
    settings.changeFeed.feed,
  );
}

/**
 * The poll's source, teaching the feed: the request ids of each fetched event tie log records
 * already read (or read later) to the customer. Learning never fails a poll: a failed write is
 * logged, and the pair is learned again from the customer's next events.
 */
export function learningEventsSource(
  source: CustomerEventsSource,
  { index, learning }: FeedParts,
  logger: Logger,
): CustomerEventsSource {
  return {
    async fetchEvents(customer) {
      const fetched = await source.fetchEvents(customer);
      const pairs = learning.rememberFetched(customer.customerId, fetched.events);
      if (pairs.length > 0) {
        await index.learn(pairs).catch((error: unknown) => {
          logger.warn('identifiers learned from a poll could not be stored', {
            customerId: customer.customerId,
            problem: describeError(error),
          });
        });
      }
      return fetched;
    },
    ...(source.requestsSent ? { requestsSent: () => source.requestsSent?.() ?? 0 } : {}),
  };
}
