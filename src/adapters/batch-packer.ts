// The one batch packer: PutEvents requests, SendMessageBatch requests and the batching publisher's
// shared requests all split items the same way, by an item count and a sum of sizes.

export interface BatchLimits {
  /** Items per batch. */
  maxCount: number;
  /** The sum of the sizes of a batch's items; unset, only the count limits. */
  maxBytes?: number;
}

/**
 * Splits items, in order, into batches of at most `maxCount` items and `maxBytes` bytes (as
 * `sizeOf` measures them). Every item must fit on its own (`sizeOf(item) <= maxBytes`): callers
 * set bigger ones aside first, and one that does not fit travels alone.
 */
export function packBatches<T>(
  items: readonly T[],
  limits: BatchLimits,
  sizeOf: (item: T) => number = () => 0,
): T[][] {
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= limits.maxCount || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
