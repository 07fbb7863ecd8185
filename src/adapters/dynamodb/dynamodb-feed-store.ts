import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { type FeedCursor, FeedCursorSchema } from '../../domain/feed/feed-cursor.js';
import type {
  FeedCursorStore,
  HintOutcome,
  HintSink,
  WatchedCustomers,
} from '../../domain/ports.js';
import { isConditionFailure } from './conditional-update.js';
import { CursorStoreError } from './cursor-store-errors.js';
import { type CursorTable, callTable } from './cursor-table.js';
import { markHinted } from './feed-hints.js';
import { parseItem } from './parse-item.js';
import { scheduleKey } from './schedule-item.js';

/*
 * The change feed's cursor: one item, key `feed#cursor`, in the cursor table:
 *
 *   customerId  S   `feed#cursor`
 *   readTo      N   epoch ms: the log is read up to here
 *   recent      L   [record id, startTime] of the overlap, newest first (bounded)
 *   version     N   optimistic lock
 */

const FEED_CURSOR_KEY = 'feed#cursor';

/** The change feed's rooms in the cursor table: its cursor, the hints it writes, who is watched. */
export class DynamoDbFeedStore implements FeedCursorStore, HintSink, WatchedCustomers {
  readonly #table: CursorTable;

  constructor(table: CursorTable) {
    this.#table = { client: table.client, tableName: table.tableName };
  }

  async loadFeedCursor(): Promise<FeedCursor | undefined> {
    const { Item } = await callTable(this.#table, 'GetItem (feed cursor)', undefined, () =>
      this.#table.client.send(
        new GetItemCommand({
          TableName: this.#table.tableName,
          Key: marshall({ customerId: FEED_CURSOR_KEY }),
          ConsistentRead: true,
        }),
      ),
    );
    if (Item === undefined) return undefined;
    const parsed = parseItem(
      Item,
      FeedCursorSchema.extend({ customerId: z.literal(FEED_CURSOR_KEY) }),
    );
    if (!parsed.ok) {
      throw new CursorStoreError(
        'GetItem (feed cursor)',
        this.#table.tableName,
        undefined,
        new Error(
          `the ${FEED_CURSOR_KEY} item cannot be read (${parsed.problem}): delete it to start the feed afresh`,
        ),
      );
    }
    const { readTo, recent, version } = parsed.value;
    return { readTo, recent, version };
  }

  async saveFeedCursor(next: FeedCursor): Promise<'saved' | 'conflict'> {
    try {
      await this.#table.client.send(
        new PutItemCommand({
          TableName: this.#table.tableName,
          Item: marshall({
            customerId: FEED_CURSOR_KEY,
            readTo: next.readTo,
            recent: next.recent,
            version: next.version + 1,
          }),
          ConditionExpression:
            next.version === 0 ? 'attribute_not_exists(customerId)' : 'version = :expected',
          ...(next.version === 0
            ? {}
            : { ExpressionAttributeValues: marshall({ ':expected': next.version }) }),
        }),
      );
      return 'saved';
    } catch (error) {
      if (isConditionFailure(error)) return 'conflict';
      throw new CursorStoreError('PutItem (feed cursor)', this.#table.tableName, undefined, error);
    }
  }

  markHinted(customerId: string, startTime: number): Promise<HintOutcome> {
    return markHinted(this.#table, customerId, startTime);
  }

  /** Whether the customer has a schedule item (active or paused): the small item, not the cursor. */
  async isWatched(customerId: string): Promise<boolean> {
    const { Item } = await callTable(this.#table, 'GetItem (watched?)', customerId, () =>
      this.#table.client.send(
        new GetItemCommand({
          TableName: this.#table.tableName,
          Key: scheduleKey(customerId),
          ProjectionExpression: 'customerId',
        }),
      ),
    );
    return Item !== undefined;
  }
}
