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

export interface WalkRule {
  passMs: number;
  backstop: BackstopOptions;
  /** The staleness bound (`MAX_POLL_INTERVAL_SECONDS` × 1000), a walked customer's while the feed is down. */
  maxIntervalMs: number;
}

/**
 * When a walked customer must be polled: its schedule's time, or when it passes its bound, the
 * backstop while the feed is healthy, the staleness bound while it is not (its claim then puts it
 * back on the due index). Claims go most urgent first by it, walked and indexed customers alike.
 */
export function walkDeadline(customer: WalkedCustomer, rule: WalkRule): number {
  const bound = rule.backstop.feedHealthy ? rule.backstop.intervalMs : rule.maxIntervalMs;
  const staleAt = (customer.lastPolledAt ?? Number.NEGATIVE_INFINITY) + bound;
  return Math.min(customer.nextPollAt, staleAt);
}

/**
 * Whether a walked customer is claimed now: its deadline comes before the walk does again (a
 * pass, with a margin). A customer someone holds is left to its holder.
 */
export function isDueOnWalk(customer: WalkedCustomer, now: number, rule: WalkRule): boolean {
  if (customer.claimedUntil !== null && customer.claimedUntil > now) return false;
  // A segment's time for a visit that comes late, and one for the poll's wait behind the lane.
  const horizon = now + rule.passMs + 2 * Math.ceil(rule.passMs / WALK_SEGMENTS);
  return walkDeadline(customer, rule) <= horizon;
}
