import type { BackstopOptions } from './feed-backstop.js';

/*
 * The backstop walk. A customer claimed under the backstop leaves the due index: every later
 * claim and completion of it then moves no index key, one write unit instead of three, and it
 * is idle almost always (its events come as hints). Instead of the index, a walk of the table
 * finds it: the table is cut into `WALK_SEGMENTS` scan segments, and one pass visits them all,
 * evenly spread over `walkPassMs` (a quarter of the backstop bound). At each visit a customer is
 * claimed if it would otherwise pass its bound before the walk comes back.
 *
 * Pure: the DynamoDB store's walk, the claims and the scale benchmark all run this same code.
 */

/** Scan segments of one pass (DynamoDB's parallel-scan `TotalSegments`), by default. */
export const WALK_SEGMENTS = 64;
/** Segments one step may catch up on after the walk fell behind (a scheduler that was down). */
const MAX_SEGMENTS_PER_STEP = 8;
/** Passes per backstop bound: a walked customer is polled at most a pass before its bound. */
const PASSES_PER_BACKSTOP = 4;

/** Where the walk is: kept in the table (`walk#backstop`), one writer at a time by its version. */
export interface WalkPosition {
  /** Epoch ms the current pass began. */
  passStartedAt: number;
  /** The next segment to scan; the segment count when the pass is done. */
  nextSegment: number;
  /** Of the stored item; 0 before the first save. */
  version: number;
}

/** An active customer off the due index, as the walk finds its schedule item. */
export interface WalkedCustomer {
  customerId: string;
  nextPollAt: number;
  idlePolls: number;
  lastPolledAt: number | null;
  claimedUntil: number | null;
}

/** How long one pass of the walk takes under `backstop`. */
export function walkPassMs(backstop: Pick<BackstopOptions, 'intervalMs'>): number {
  return Math.max(60_000, Math.floor(backstop.intervalMs / PASSES_PER_BACKSTOP));
}

/**
 * The segments to scan at `now` (`from` up to, not including, `to`; none when `from === to`) and
 * the position once they are: the pass's time so far decides how many segments are due.
 */
export function walkStep(
  position: WalkPosition | undefined,
  now: number,
  passMs: number,
  segments = WALK_SEGMENTS,
): { from: number; to: number; next: WalkPosition } {
  let current = position ?? { passStartedAt: now, nextSegment: 0, version: 0 };
  if (current.nextSegment >= segments) {
    const nextPass = current.passStartedAt + passMs;
    if (now < nextPass) return { from: segments, to: segments, next: current };
    // A walk that fell more than a pass behind starts afresh rather than racing to catch up.
    current = {
      ...current,
      passStartedAt: now - nextPass > passMs ? now : nextPass,
      nextSegment: 0,
    };
  }
  const due = Math.min(
    segments,
    Math.floor(((now - current.passStartedAt) / passMs) * segments) + 1,
  );
  const from = current.nextSegment;
  const to = Math.max(from, Math.min(due, from + MAX_SEGMENTS_PER_STEP));
  return { from, to, next: { ...current, nextSegment: to } };
}

/**
 * Whether a walked customer is claimed now: it would pass its bound before the walk comes back
 * (a pass, with a margin), or it is due by its schedule.
 * Its bound is the backstop while the feed is healthy, the staleness bound while it is not (its
 * claim then puts it back on the due index). A customer someone holds is left to its holder.
 */
export function isDueOnWalk(
  customer: WalkedCustomer,
  now: number,
  options: { passMs: number; backstop: BackstopOptions; maxIntervalMs: number },
): boolean {
  if (customer.claimedUntil !== null && customer.claimedUntil > now) return false;
  // A segment's time for a visit that comes late, and one for the poll's wait behind the lane.
  const horizon = now + options.passMs + 2 * Math.ceil(options.passMs / WALK_SEGMENTS);
  const bound = options.backstop.feedHealthy ? options.backstop.intervalMs : options.maxIntervalMs;
  const staleAt = (customer.lastPolledAt ?? Number.NEGATIVE_INFINITY) + bound;
  return Math.min(customer.nextPollAt, staleAt) <= horizon;
}
