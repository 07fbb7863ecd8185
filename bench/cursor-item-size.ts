import { randomUUID } from 'node:crypto';
import { encodeCursorItem as encodeItem } from '../src/adapters/dynamodb/cursor-item.js';
import { encodeFeedCursorItem } from '../src/adapters/dynamodb/dynamodb-feed-store.js';
import { dynamoItemSize } from '../src/adapters/dynamodb/dynamodb-item-size.js';
import { type CustomerState, newCustomerState } from '../src/domain/customer-state.js';
import { seenEntry } from '../src/domain/detect/seen-digest.js';
import { feedRecordKey } from '../src/domain/feed/feed-cursor.js';

/** `size` events with uuid keys (as Capillary's `uniqueId`s are), a minute apart, oldest first. */
export function seenEvents(size: number): { id: string; at: number }[] {
  const start = Date.parse('2025-05-08T00:00:00Z');
  return Array.from({ length: size }, (_, index) => ({
    id: randomUUID(),
    at: start + index * 60_000,
  }));
}

/** A tracking customer whose seen set holds `events`. */
export function stateWithSeen(events: readonly { id: string; at: number }[]): CustomerState {
  const state = newCustomerState(
    { customerId: '564590100', scope: 'default', backfill: false },
    new Date(),
  );
  const start = Date.parse('2025-05-08T00:00:00Z');
  return {
    ...state,
    mode: 'tracking',
    seen: events.map(({ id, at }) => seenEntry(id, at)),
    lastSeenId: randomUUID(),
    lastSeenDate: new Date(start).toISOString(),
    version: 1234,
  };
}

/** Billed bytes of the cursor item, as the store encodes it, for each seen-set size up to `max`. */
export function cursorItemBytesBySeenSize(max: number): Int32Array {
  return Int32Array.from({ length: max + 1 }, (_, size) =>
    dynamoItemSize(encodeItem(stateWithSeen(seenEvents(size)))),
  );
}

/**
 * The feed cursor item as `DynamoDbFeedStore.saveFeedCursor` writes it, with `size` record ids.
 * @internal its test measures it whole against `feedCursorItemBytes`.
 */
export function feedCursorItem(size: number) {
  const readTo = Date.parse('2026-12-07T12:00:00Z');
  return encodeFeedCursorItem({
    readTo,
    recent: Array.from({ length: size }, (_, index): [string, number] => [
      feedRecordKey(randomUUID()),
      readTo - index * 37,
    ]),
    version: 123_456,
  });
}

const sizeOf = (ids: number) => dynamoItemSize(feedCursorItem(ids));
let measured: { empty: number; one: number; perId: number } | undefined;

/**
 * Billed bytes of the feed cursor item holding `size` record ids: measured with none, one and two
 * ids, then linear, as every entry is packed to the same 14 bytes.
 */
export function feedCursorItemBytes(size: number): number {
  measured ??= { empty: sizeOf(0), one: sizeOf(1), perId: sizeOf(2) - sizeOf(1) };
  return size === 0 ? measured.empty : measured.one + (size - 1) * measured.perId;
}
