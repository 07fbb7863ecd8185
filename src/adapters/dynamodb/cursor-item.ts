import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import {
  type CustomerState,
  CustomerStateSchema,
  type SeenEvent,
  type WatchEntry,
  WatchEntrySchema,
} from '../../domain/customer-state.js';
import {
  clampSeenAt,
  legacySeenDigests,
  SEEN_AT_BYTES,
  SEEN_DIGEST_BYTES,
  SEEN_ENTRY_BYTES,
} from '../../domain/detect/seen-digest.js';
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
 *   seen          B               the seen set, oldest first: 14 bytes an entry, `seen[i].digest`
 *                                 (8 bytes) then `seen[i].at` (epoch ms, 6 bytes, signed big-endian)
 *   seenFloor     N | NULL
 *   windowDigest  S | NULL        digest of the window after the last complete poll
 *   version       N               optimistic-locking counter, the condition of every save
 *   createdAt     S               ISO-8601
 *   updatedAt     S               ISO-8601
 *
 * Why one packed binary attribute: a write costs a unit per KB, and a poll that finds events
 * writes the whole item. DynamoDB bills a binary value by its length alone, so an entry costs its
 * 14 bytes: 200 entries take 2,800 bytes and the item about 3 KB (3 write units). The layout before
 * it, two parallel lists `seenIds` (L of S, the event keys) and `seenAt` (L of N), cost 46 bytes
 * an entry with uuid keys (9.5 KB, 10 write units, at 200). The digest is the domain's
 * (`seenDigest`): the domain compares what it fetches with what it stored, digest with digest.
 * A blob whose length is not a multiple of 14, or a `seen` that is not binary, makes the item
 * unreadable; `cursorItemBytes` (the 350 KB budget) counts this layout.
 *
 * Items of the lists layout (no `seen`, `seenIds` and `seenAt` of one length) are still read: each
 * key becomes its digest (`legacySeenDigests`), and the next save writes this layout (a PutItem of
 * the whole item, so the lists go).
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
  return marshall({ ...attributes, seen: packSeen(seen) });
}

/**
 * A plain `Uint8Array`, as the SDK reads a binary back, written through a `Buffer` view of it.
 * The feed cursor's overlap is packed the same way (`dynamodb-feed-store.ts`).
 */
export function packSeen(seen: readonly SeenEvent[]): Uint8Array {
  const packed = new Uint8Array(seen.length * SEEN_ENTRY_BYTES);
  const bytes = Buffer.from(packed.buffer);
  seen.forEach((entry, index) => {
    const offset = index * SEEN_ENTRY_BYTES;
    bytes.write(entry.digest, offset, SEEN_DIGEST_BYTES, 'hex');
    bytes.writeIntBE(entry.at, offset + SEEN_DIGEST_BYTES, SEEN_AT_BYTES);
  });
  return packed;
}

export function unpackSeen(packed: Uint8Array): SeenEvent[] {
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  return Array.from({ length: bytes.length / SEEN_ENTRY_BYTES }, (_, index) => {
    const offset = index * SEEN_ENTRY_BYTES;
    return {
      digest: bytes.toString('hex', offset, offset + SEEN_DIGEST_BYTES),
      at: bytes.readIntBE(offset + SEEN_DIGEST_BYTES, SEEN_AT_BYTES),
    };
  });
}

/** The attributes of a cursor item but its seen set: what `watch list` and `init` read. */
export const WATCH_ENTRY_ATTRIBUTES = Object.keys(WatchEntrySchema.shape);

/** An item written before the window digest existed has none: read as no digest. */
const StoredAttributesSchema = CustomerStateSchema.omit({ seen: true }).extend({
  windowDigest: z
    .string()
    .nullish()
    .transform((digest) => digest ?? null),
});

const StoredItemSchema = StoredAttributesSchema.extend({
  seen: z
    .instanceof(Uint8Array, { error: 'expected binary (B)' })
    .refine((packed) => packed.byteLength % SEEN_ENTRY_BYTES === 0, {
      error: `expected a multiple of ${SEEN_ENTRY_BYTES} bytes`,
    }),
})
  .transform(({ seen, ...rest }) => ({ ...rest, seen: unpackSeen(seen) }))
  .pipe(CustomerStateSchema);

/** The lists layout (see above), converted to the digests it stands for. */
const ListsItemSchema = StoredAttributesSchema.extend({
  seenIds: z.array(z.string().min(1)),
  seenAt: z.array(z.number().int()),
})
  .refine((item) => item.seenIds.length === item.seenAt.length, {
    message: 'seenIds and seenAt differ in length',
    path: ['seenAt'],
  })
  .transform(({ seenIds, seenAt, ...rest }) => ({
    ...rest,
    seen: seenIds.flatMap((id, index) => {
      const at = clampSeenAt(seenAt[index] as number);
      return legacySeenDigests(id).map((digest) => ({ digest, at }));
    }),
  }))
  .pipe(CustomerStateSchema);

/** An item written before the window digest existed has none: read as no digest. */
const StoredWatchEntrySchema = z
  .looseObject({ windowDigest: z.unknown().optional() })
  .transform((item) => ({ ...item, windowDigest: item.windowDigest ?? null }))
  .pipe(WatchEntrySchema);

/** Never throws: a customer state, or what is wrong with its item. */
export function decodeCursorItem(item: Record<string, AttributeValue>): ParsedItem<CustomerState> {
  const lists =
    item.seen === undefined && (item.seenIds !== undefined || item.seenAt !== undefined);
  return parseItem(item, lists ? ListsItemSchema : StoredItemSchema);
}

/** Never throws: the watch entry of a cursor item read without its seen set. */
export function decodeWatchEntry(item: Record<string, AttributeValue>): ParsedItem<WatchEntry> {
  return parseItem(item, StoredWatchEntrySchema);
}
