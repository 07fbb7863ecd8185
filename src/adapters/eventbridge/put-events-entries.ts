// What a PutEvents request may hold, and how entries are measured and packed against it.
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { packBatches } from '../batch-packer.js';

/** PutEvents accepts at most 10 entries per request. */
export const MAX_ENTRIES_PER_PUT_EVENTS = 10;
/** PutEvents accepts at most 256 KiB per request, as the sum of the entry sizes below. */
export const MAX_PUT_EVENTS_BYTES = 262_144;
/**
 * What a set `Time` counts for in an entry's size, whatever its value.
 */
const PUT_EVENTS_TIME_BYTES = 14;

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * An entry's size as AWS documents it ("Calculating Amazon EventBridge PutEvents event entry size"):
 * 14 bytes for `Time` when set, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each of
 * `Resources`. `EventBusName` and `TraceHeader` do not count.
 */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  let size = entry.Time === undefined ? 0 : PUT_EVENTS_TIME_BYTES;
  if (entry.Source !== undefined) size += utf8Bytes(entry.Source);
  if (entry.DetailType !== undefined) size += utf8Bytes(entry.DetailType);
  if (entry.Detail !== undefined) size += utf8Bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += utf8Bytes(resource);
  return size;
}

/**
 * Splits sized entries, in order, into PutEvents requests (10 entries, 256 KiB). Every item must
 * fit on its own (`size <= MAX_PUT_EVENTS_BYTES`); callers set bigger ones aside first.
 */
export function packPutEventsBatches<T extends { size: number }>(items: readonly T[]): T[][] {
  return packBatches(
    items,
    { maxCount: MAX_ENTRIES_PER_PUT_EVENTS, maxBytes: MAX_PUT_EVENTS_BYTES },
    (item) => item.size,
  );
}
