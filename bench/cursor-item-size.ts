import { randomUUID } from 'node:crypto';
import { encodeCursorItem as encodeItem } from '../src/adapters/dynamodb/cursor-item.js';
import { dynamoItemSize } from '../src/adapters/dynamodb/dynamodb-item-size.js';
import { type CustomerState, newCustomerState } from '../src/domain/customer-state.js';

/** A tracking customer whose seen set holds `size` ids (uuids, as Capillary's `uniqueId`s are). */
export function stateWithSeen(size: number): CustomerState {
  const state = newCustomerState(
    { customerId: '564590100', scope: 'default', backfill: false },
    new Date(),
  );
  const start = Date.parse('2025-05-08T00:00:00Z');
  return {
    ...state,
    mode: 'tracking',
    seen: Array.from({ length: size }, (_, index) => ({
      id: randomUUID(),
      at: start + index * 60_000,
    })),
    lastSeenId: randomUUID(),
    lastSeenDate: new Date(start).toISOString(),
    version: 1234,
  };
}

/** Billed bytes of the cursor item, as the store encodes it, for each seen-set size up to `max`. */
export function cursorItemBytesBySeenSize(max: number): Int32Array {
  return Int32Array.from({ length: max + 1 }, (_, size) =>
    dynamoItemSize(encodeItem(stateWithSeen(size))),
  );
}
