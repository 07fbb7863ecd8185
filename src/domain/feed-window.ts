/**
 * The time slices the event log is asked for. The log has no page parameter: a response holding
 * `limit` records may hide more, so its slice is split in halves and each half asked again.
 */
export interface FeedSlice {
  /** Epoch ms, both ends asked for (inclusive or not, the reference does not say). */
  fromMs: number;
  toMs: number;
}

/**
 * The window of the next read: from `lagMs` before where the last one stopped (records appear
 * late), to `now`; `undefined` when there is nothing new to ask for yet.
 */
export function nextFeedWindow(readTo: number, now: number, lagMs: number): FeedSlice | undefined {
  if (now <= readTo) return undefined;
  return { fromMs: Math.max(0, readTo - lagMs), toMs: now };
}

/**
 * The two halves of a slice, older first, or `undefined` when it is no wider than `minWidthMs`
 * (a slice that still comes back full then is "saturated": reported, not split forever). The
 * halves share their middle instant, so a record there is read whatever the bounds' inclusivity;
 * reading it twice is harmless (records are de-duplicated by id).
 */
export function splitSlice(
  slice: FeedSlice,
  minWidthMs: number,
): [FeedSlice, FeedSlice] | undefined {
  const width = slice.toMs - slice.fromMs;
  if (width <= Math.max(1, minWidthMs)) return undefined;
  const middle = slice.fromMs + Math.floor(width / 2);
  return [
    { fromMs: slice.fromMs, toMs: middle },
    { fromMs: middle, toMs: slice.toMs },
  ];
}
