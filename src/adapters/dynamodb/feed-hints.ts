import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { HintOutcome } from '../../domain/ports.js';
import { conditionalUpdate, isConditionFailure } from './conditional-update.js';
import { CursorStoreError } from './cursor-store-errors.js';
import type { CursorTable } from './cursor-table.js';
import { scheduleKey } from './schedule-item.js';

/**
 * A hint from the change feed: the customer's schedule item becomes due now (`nextPollAt`, the due
 * index's sort key), and `hintedAt` records the record's `startTime`. One conditional write, and
 * nothing when the hint is no news:
 * - the customer is not watched, or paused;
 * - it was polled at or after `startTime` (that poll saw the event);
 * - it is already due (a burst of hints for one customer is one write, then no-ops).
 * The normal path follows (claim, fetch, detect, publish, save), so a hint can never publish twice.
 * A hint that lands while the customer is claimed is overwritten by that poll's completion: the
 * poll in flight may have fetched before the event (the lead's priority lane decides that case).
 */
export async function markHinted(
  table: CursorTable,
  customerId: string,
  startTime: number,
  now: number,
): Promise<HintOutcome> {
  try {
    await table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: scheduleKey(customerId),
        ...conditionalUpdate({
          set: { nextPollAt: now, hintedAt: startTime },
          condition:
            'attribute_exists(#customerId) AND #status = :active AND #nextPollAt > :now' +
            ' AND (attribute_not_exists(#lastPolledAt) OR attribute_type(#lastPolledAt, :nullType)' +
            ' OR #lastPolledAt < :startTime)',
          conditionValues: {
            ':active': 'active',
            ':now': now,
            ':nullType': 'NULL',
            ':startTime': startTime,
          },
        }),
      }),
    );
    return 'due-now';
  } catch (error) {
    if (isConditionFailure(error)) return 'dropped';
    throw new CursorStoreError('UpdateItem (hint)', table.tableName, customerId, error);
  }
}
