import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { SEEN_ENTRY_BYTES } from '../../domain/detect/seen-digest.js';
import { type FeedCursor, FeedCursorSchema, feedRecordKey } from '../../domain/feed/feed-cursor.js';
import type {
  FeedCursorStore,
  HintOutcome,
  HintSink,
  WatchedCustomers,
} from '../../domain/ports.js';
import { isConditionFailure } from './conditional-update.js';
import { packSeen, unpackSeen } from './cursor-item.js';
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
 *   recent      B   the overlap, newest first (bounded), packed as the cursor item's seen set:
 *                   14 bytes a record, its id's digest (`feedRecordKey`) and its startTime
 *   version     N   optimistic lock
 *
 * A cursor written before (`recent` a list of [record id, startTime]) is read, its ids digested.
 */

const FEED_CURSOR_KEY = 'feed#cursor';

const PackedRecentSchema = z
  .instanceof(Uint8Array, { error: 'expected binary (B)' })
  .refine((packed) => packed.byteLength % SEEN_ENTRY_BYTES === 0, {
    error: `expected a multiple of ${SEEN_ENTRY_BYTES} bytes`,
  })
  .transform((packed) =>
    unpackSeen(packed).map(({ digest, at }): [string, number] => [digest, at]),
  );
const ListedRecentSchema = z
  .array(z.tuple([z.string(), z.number().int()]))
  .transform((recent) =>
    recent.map(([id, startTime]): [string, number] => [feedRecordKey(id), startTime]),
  );
const StoredFeedCursorSchema = z
  .object({
    customerId: z.literal(FEED_CURSOR_KEY),
    readTo: z.unknown(),
    recent: z.union([PackedRecentSchema, ListedRecentSchema]),
    version: z.unknown(),
  })
  .pipe(FeedCursorSchema.extend({ customerId: z.literal(FEED_CURSOR_KEY) }));

/** The feed cursor item of `cursor` as its next version (layout above). */
export function encodeFeedCursorItem(cursor: FeedCursor) {
  return marshall({
    customerId: FEED_CURSOR_KEY,
    readTo: cursor.readTo,
    recent: packSeen(cursor.recent.map(([digest, at]) => ({ digest, at }))),
    version: cursor.version + 1,
  });
}

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
    const parsed = parseItem(Item, StoredFeedCursorSchema);
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
          Item: encodeFeedCursorItem(next),
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
