import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CustomerState, newCustomerState } from '../../domain/customer-state.js';
import { cursorItemBytes } from '../../domain/detect/cursor-budget.js';
import { seenEntry } from '../../domain/detect/seen-digest.js';
import { encodeCursorItem } from './cursor-item.js';
import { dynamoItemSize } from './dynamodb-item-size.js';

describe('the domain counts the cursor item as the store encodes it', () => {
  it('cursorItemBytes equals the DynamoDB size of encodeCursorItem for any state', () => {
    const id = fc.string({ minLength: 1, maxLength: 120, unit: 'grapheme' });
    const at = fc.integer({ min: 0, max: 8_640_000_000_000 });
    const entry = fc.record({ id, at }).map((event) => seenEntry(event.id, event.at));
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 50 }),
        fc.option(at, { nil: null }),
        fc.option(id, { nil: null }),
        fc.nat({ max: 10_000_000 }),
        (seen, seenFloor, lastSeenId, version) => {
          const state: CustomerState = {
            ...newCustomerState(
              { customerId: '9007199254740993', scope: 'child', backfill: false },
              new Date('2026-01-01T00:00:00Z'),
            ),
            seen,
            seenFloor,
            lastSeenId,
            lastSeenDate: lastSeenId === null ? null : '2025-05-08T08:56:57.000Z',
            windowDigest: lastSeenId === null ? null : 'AAAAAAAAAAAAAAAAAAAAAA',
            version,
          };
          expect(cursorItemBytes(state)).toBe(dynamoItemSize(encodeCursorItem(state)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
