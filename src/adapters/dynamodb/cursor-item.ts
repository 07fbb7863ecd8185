import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import {
  type CustomerState,
  CustomerStateSchema,
  type WatchEntry,
  WatchEntrySchema,
} from '../../domain/customer-state.js';
import { type ParsedItem, parseItem } from './parse-item.js';

/*
 * Cursor item: one per customer, partition key `customerId` (S), no sort key.
 *
 *   customerId    S               the key (1 to 19 digits)
 *   scope         S               'default' | 'child'
 *   mode          S               'baseline' | 'backfill' | 'tracking'
 *   status        S               'active' | 'paused'
 *   lastSeenId    S | NULL
 *   lastSeenDate  S | NULL
 *   seenIds       L of S          `seen[i].id`, oldest first
 *   seenAt        L of N          `seen[i].at` (epoch ms), same order and length as `seenIds`
 *   seenFloor     N | NULL
 *   windowDigest  S | NULL        digest of the window after the last complete poll
 *   version       N               optimistic-locking counter, the condition of every save
 *   createdAt     S               ISO-8601
 *   updatedAt     S               ISO-8601
 *
 * Why two parallel lists instead of a list of `{ id, at }` maps: DynamoDB bills a map element for
 * its 3-byte map overhead plus the names `id` and `at` again in every entry; the parallel lists
 * drop that, about 8 bytes per entry (roughly 20% of an item with 20-character event ids).
 * Both lists are always written together by one PutItem, so they cannot drift apart; an item
 * whose lists differ in length is reported as unreadable. `marshall` writes arrays as lists (L),
 * never as sets, which is this layout; `cursorItemBytes` (the 350 KB budget) counts it.
 *
 * Attributes that are not listed above are ignored when reading (room for a TTL or tags later).
 * The cursor's `status` is what it was when watched: the schedule item's status decides.
 */

export function cursorKey(customerId: string): Record<string, AttributeValue> {
  return marshall({ customerId });
}

/** The cursor item of a customer state (layout above). */
export function encodeCursorItem(state: CustomerState): Record<string, AttributeValue> {
  const { seen, ...attributes } = state;
  return marshall({
    ...attributes,
    seenIds: seen.map((entry) => entry.id),
    seenAt: seen.map((entry) => entry.at),
  });
}

/** The attributes of a cursor item but its seen set: what `watch list` and `init` read. */
export const WATCH_ENTRY_ATTRIBUTES = Object.keys(WatchEntrySchema.shape);

const StoredItemSchema = CustomerStateSchema.omit({ seen: true })
  .extend({
    seenIds: z.array(z.unknown()),
    seenAt: z.array(z.unknown()),
    windowDigest: z.string().nullish(),
  })
  .refine((item) => item.seenIds.length === item.seenAt.length, {
    message: 'seenIds and seenAt differ in length',
    path: ['seenAt'],
  })
  .transform(({ seenIds, seenAt, ...rest }) => ({
    ...rest,
    windowDigest: rest.windowDigest ?? null,
    seen: seenIds.map((id, index) => ({ id, at: seenAt[index] })),
  }))
  .pipe(CustomerStateSchema);

/** An item written before the window digest existed has none: read as no digest. */
const StoredWatchEntrySchema = z
  .looseObject({ windowDigest: z.unknown().optional() })
  .transform((item) => ({ ...item, windowDigest: item.windowDigest ?? null }))
  .pipe(WatchEntrySchema);

/** Never throws: a customer state, or what is wrong with its item. */
export function decodeCursorItem(item: Record<string, AttributeValue>): ParsedItem<CustomerState> {
  return parseItem(item, StoredItemSchema);
}

/** Never throws: the watch entry of a cursor item read without its seen set. */
export function decodeWatchEntry(item: Record<string, AttributeValue>): ParsedItem<WatchEntry> {
  return parseItem(item, StoredWatchEntrySchema);
}
