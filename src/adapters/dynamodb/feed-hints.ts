import { laneDueAt } from '../../domain/feed/priority-lane.js';
import type { HintOutcome } from '../../domain/ports.js';
import { type CursorTable, updateIf } from './cursor-table.js';
import { dueShardOf } from './due-index.js';
import { scheduleKey } from './schedule-item.js';

/**
 * A hint from the change feed puts the customer in the priority lane: its schedule item's
 * `nextPollAt` (the due index's sort key) becomes the record's `startTime` shifted below zero, so
 * the next tick or sweep takes it before everything the schedule made due (`priority-lane.ts`).
 * One conditional write, and nothing when the hint is no news (`hintedSchedule`'s decision):
 * - the customer is not watched, or paused;
 * - it was polled at or after `startTime` (that poll saw the event);
 * - it is already in the lane (a burst of hints for one customer is one write, then no-ops).
 * The normal path follows (claim, fetch, detect, publish, save), so a hint can never publish twice.
 * A hint that lands while the customer is claimed stays: the poll's completion keeps the lane.
 */
export async function markHinted(
  table: CursorTable,
  customerId: string,
  startTime: number,
): Promise<HintOutcome> {
  const marked = await updateIf(
    table,
    scheduleKey(customerId),
    {
      // A hint proves the feed knows the customer: covered from now on (`markFeedCovered`).
      set: {
        nextPollAt: laneDueAt(startTime),
        dueShard: dueShardOf(customerId, 'bounded'),
      },
      condition:
        'attribute_exists(#customerId) AND #status = :active AND #nextPollAt >= :laneEnd' +
        ' AND (attribute_not_exists(#lastPolledAt) OR attribute_type(#lastPolledAt, :nullType)' +
        ' OR #lastPolledAt < :startTime)',
      conditionValues: {
        ':active': 'active',
        ':laneEnd': 0,
        ':nullType': 'NULL',
        ':startTime': startTime,
      },
    },
    { operation: 'UpdateItem (hint)', customerId },
  );
  return marked ? 'due-now' : 'dropped';
}
