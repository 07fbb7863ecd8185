/**
 * The time slices the event log is asked for. The log has no page parameter: a response holding
 * `limit` records may hide more, so what its slice may still hold is asked again (`restOfFullSlice`).
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
function splitSlice(slice: FeedSlice, minWidthMs: number): [FeedSlice, FeedSlice] | undefined {
  const width = slice.toMs - slice.fromMs;
  if (width <= Math.max(1, minWidthMs)) return undefined;
  const middle = slice.fromMs + Math.floor(width / 2);
  return [
    { fromMs: slice.fromMs, toMs: middle },
    { fromMs: middle, toMs: slice.toMs },
  ];
}

/**
 * What is left to ask of a slice whose answer came back full (`limit` records), from the answer's
 * `startTimes` in the order received. The reference says the log is newest first: such an answer
 * holds every record from its oldest instant to the slice's end, so only the older rest is asked,
 * one request per `limit` records, like a cursor (an answer oldest first leaves the newer rest).
 * The rest includes the boundary instant (one `instantMs` of the dates' format past it), so
 * records sharing it are read whatever the bounds' inclusivity (twice, de-duplicated by id). A
 * rest likely to hold more than `recordsLeft` (at the answer's density) is halved, so the oldest
 * half can be finished; an answer in no order, or a rest no narrower than the slice, is halved
 * too. `undefined`: saturated.
 */
export function restOfFullSlice(
  slice: FeedSlice,
  startTimes: readonly number[],
  bounds: { minWidthMs: number; instantMs: number; recordsLeft?: number | undefined },
): FeedSlice[] | undefined {
  const { minWidthMs, instantMs } = bounds;
  const inOrder = (sign: number) =>
    startTimes.every(
      (at, index) => index === 0 || sign * (at - (startTimes[index - 1] as number)) >= 0,
    );
  const newestFirst = inOrder(-1);
  const last = startTimes.at(-1);
  if (last !== undefined && newestFirst !== inOrder(1)) {
    const rest = newestFirst
      ? { fromMs: slice.fromMs, toMs: Math.min(slice.toMs, last + instantMs) }
      : { fromMs: Math.max(slice.fromMs, last - instantMs), toMs: slice.toMs };
    const width = (part: FeedSlice) => part.toMs - part.fromMs;
    if (width(rest) < width(slice)) {
      const covered = Math.max(1, width(slice) - width(rest) + instantMs);
      const expected = (startTimes.length * width(rest)) / covered;
      if (expected <= (bounds.recordsLeft ?? Number.POSITIVE_INFINITY)) return [rest];
      return splitSlice(rest, minWidthMs) ?? [rest];
    }
  }
  return splitSlice(slice, minWidthMs);
}
