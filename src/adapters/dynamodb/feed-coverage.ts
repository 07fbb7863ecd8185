import { forEachConcurrently } from '../../domain/poll/for-each-concurrently.js';
import { type CursorTable, updateIf } from './cursor-table.js';
import { COVERAGE_PREFIX, dueShardOf } from './due-index.js';
import { scheduleKey } from './schedule-item.js';

/** Schedule items marked at once: enough to keep a large `watch add --file` quick. */
const MARKS_IN_FLIGHT = 16;

/**
 * Marks the customers whose identifier the change feed now knows as covered (`bounded`, the
 * shard's prefix): their next claim schedules them under the backstop while the feed is healthy.
 * One conditional write a customer, once: an active customer not yet covered; a paused one keeps
 * no shard, and a customer already covered is left as it is.
 */
export async function markFeedCovered(
  table: CursorTable,
  customerIds: Iterable<string>,
): Promise<void> {
  const mark = async (customerId: string) => {
    await updateIf(
      table,
      scheduleKey(customerId),
      {
        set: { dueShard: dueShardOf(customerId, 'bounded') },
        condition:
          'attribute_exists(#dueShard) AND NOT begins_with(#dueShard, :bounded) AND NOT begins_with(#dueShard, :backstop)',
        conditionValues: {
          ':bounded': COVERAGE_PREFIX.bounded,
          ':backstop': COVERAGE_PREFIX.backstop,
        },
      },
      { operation: 'UpdateItem (feed coverage)', customerId },
    );
  };
  await forEachConcurrently(new Set(customerIds), mark, { limit: () => MARKS_IN_FLIGHT });
}
