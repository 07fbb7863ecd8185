import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { decodeWatchEntry, WATCH_ENTRY_ATTRIBUTES } from './cursor-item.js';
import { type CursorTable, putIfAbsent, scanItems } from './cursor-table.js';
import { itemKind, newScheduleItem } from './schedule-item.js';

/**
 * Creates the schedule item of every customer watched before schedule items existed (due at
 * once, so none waits); returns how many. Reads the table once, without the seen sets.
 */
export async function addMissingSchedules(table: CursorTable, now: number): Promise<number> {
  const cursors = new Map<string, Record<string, AttributeValue>>();
  const scheduled = new Set<string>();
  for await (const item of scanItems(table, WATCH_ENTRY_ATTRIBUTES)) {
    const kind = itemKind(item.customerId?.S);
    if (kind.kind === 'cursor') cursors.set(kind.customerId, item);
    else if (kind.kind === 'schedule') scheduled.add(kind.customerId);
  }
  let created = 0;
  for (const [customerId, item] of cursors) {
    if (scheduled.has(customerId)) continue;
    const decoded = decodeWatchEntry(item);
    // An unreadable cursor is reported by `watch list`; it gets no schedule until fixed.
    if (!decoded.ok) continue;
    const schedule = newScheduleItem(decoded.value, now);
    if (await putIfAbsent(table, schedule, 'PutItem (schedule)', customerId)) created++;
  }
  return created;
}
