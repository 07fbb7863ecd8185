import { createHash } from 'node:crypto';
import type { CapillaryEvent } from '../capillary-event.js';
import type { CustomerState, SeenEvent } from '../customer-state.js';
import { type CursorOverBudget, fitCursorBudget } from './cursor-budget.js';
import { eventKey } from './event-key.js';
import { fingerprintOf, seenDigestsOf, seenEntry, seenLookup } from './seen-digest.js';

/** A `lastSeenId` longer than this is kept as its fingerprint (it is for people, and bounded). */
const MAX_LAST_SEEN_ID_CHARS = 1_024;

/**
 * How long before the watch began (`createdAt`) an event may be dated and still be published by the
 * baseline poll: 60 s. An event's `date` has whole seconds (12:00:00.900 reads 12:00:00), and the
 * clock of the poller that ran `watch add` is not Capillary's, so an event that happened just after
 * the add can read as just before it. Publishing an event of the minute before the add is harmless;
 * recording one of after it as baseline loses it.
 */
export const BASELINE_SKEW_ALLOWANCE_MS = 60_000;

/**
 * Whether an event dated `at` (epoch ms) was there before the watch began, so the baseline poll
 * records it instead of publishing it. An event without a usable date cannot tell: it is recorded,
 * as everything present was before. An unreadable `createdAt` records nothing: all is published.
 * Seam: `date` is when the event occurred, which a poster may set in the past (a till syncing
 * late); once the change feed exists, its `startTime` (when Capillary took the POST) decides here.
 */
export function predatesWatch(state: Pick<CustomerState, 'createdAt'>, at: number | null): boolean {
  if (at === null) return true;
  return at < Date.parse(state.createdAt) - BASELINE_SKEW_ALLOWANCE_MS;
}

/** An API event with its identity and date, ready to compare with the cursor. */
export interface KeyedEvent {
  key: string;
  /** The event's date, epoch milliseconds. */
  at: number;
  event: CapillaryEvent;
}

/**
 * Keys the API's window and orders it oldest first. The API sends newest first, so among events of
 * the same date the later position is the older one. Repeats of one identity in a window count once.
 */
export function keyWindow(events: readonly CapillaryEvent[]): KeyedEvent[] {
  return orderWindow(events.map((event) => ({ key: eventKey(event), event })));
}

/** `keyWindow` for events already keyed (in API order, newest first). */
export function orderWindow(
  keyed: readonly { key: string; event: CapillaryEvent }[],
): KeyedEvent[] {
  const byKey = new Map<string, KeyedEvent>();
  for (let index = keyed.length - 1; index >= 0; index--) {
    const { key, event } = keyed[index] as { key: string; event: CapillaryEvent };
    if (!byKey.has(key)) byKey.set(key, { key, at: Date.parse(event.date), event });
  }
  // Array.prototype.sort is stable: equal dates keep the reversed API order.
  return [...byKey.values()].sort((a, b) => a.at - b.at);
}

/** A short, order-independent fingerprint of the ids in a window (128 bits of SHA-256). */
export function windowDigest(window: readonly { key: string }[]): string {
  const keys = window.map((candidate) => candidate.key).sort();
  return createHash('sha256').update(keys.join('\n')).digest('base64url').slice(0, 22);
}

export interface Detection {
  /** Events to publish, oldest first. */
  fresh: KeyedEvent[];
  /**
   * Unknown events dated before the newest evicted id: they can only be evicted ids the API shows
   * again, so they are reported rather than emitted twice.
   */
  belowFloor: KeyedEvent[];
}

/**
 * Which events of the window are new for this customer. Identity, not date, decides, so a late
 * event (dated before the last seen one) and several events in one second are all caught.
 * A customer in `baseline` mode gets only what is dated after the watch began (`predatesWatch`):
 * its first poll records the rest.
 */
export function detectNewEvents(state: CustomerState, window: readonly KeyedEvent[]): Detection {
  const detection: Detection = { fresh: [], belowFloor: [] };
  if (state.mode === 'baseline') {
    detection.fresh = window.filter((candidate) => !predatesWatch(state, candidate.at));
    return detection;
  }
  const isSeen = seenLookup(state.seen);
  for (const candidate of window) {
    if (isSeen(candidate.key)) continue;
    if (state.seenFloor !== null && candidate.at < state.seenFloor) {
      detection.belowFloor.push(candidate);
    } else {
      detection.fresh.push(candidate);
    }
  }
  return detection;
}

export interface AdvanceInput {
  /** The whole window just fetched. */
  window: readonly KeyedEvent[];
  /** Events that are now safely out (published or parked): only these move the cursor. */
  acknowledged: readonly KeyedEvent[];
  /**
   * Events of the window that could not be published as they are (see `isolateWindow`) and were
   * parked, or recorded by a baseline: they are remembered like acknowledged events, and kept while
   * in the window, but never become the last seen event.
   */
  setAside?: readonly { key: string; at: number }[];
  /** The configured minimum size of the seen set. */
  capacity: number;
  now: Date;
  /** The window's digest when the poll left nothing unacknowledged, else `null`. */
  windowDigest: string | null;
  /** The cursor item's byte budget (default `MAX_CURSOR_ITEM_BYTES`). */
  maxItemBytes?: number;
  /** Called when even the window's ids do not fit the budget (see `fitCursorBudget`). */
  onOverBudget?: (report: CursorOverBudget) => void;
}

/**
 * The state after a successful poll, or `undefined` when nothing changed (nothing is written then).
 * The seen set keeps at least twice the window so an id still in the window is never evicted.
 */
export function advanceCursor(
  state: CustomerState,
  input: AdvanceInput,
): CustomerState | undefined {
  // A baseline records what was there before the watch began; what came after is recorded only
  // once published, like any other event, so one not yet published is tried again.
  const recorded =
    state.mode === 'baseline'
      ? [
          ...input.window.filter((candidate) => predatesWatch(state, candidate.at)),
          ...input.acknowledged,
        ]
      : input.acknowledged;
  const nextMode = 'tracking';
  const known = seenLookup(state.seen);
  const additions = recorded.filter((candidate) => !known(candidate.key));
  const setAside = (input.setAside ?? []).filter((candidate) => !known(candidate.key));
  // Nothing new, nothing written; the digest rides along on the next write that is due anyway.
  if (additions.length === 0 && setAside.length === 0 && state.mode === nextMode) return undefined;

  const merged: SeenEvent[] = [
    ...state.seen,
    ...[...additions, ...setAside].map(({ key, at }) => seenEntry(key, at)),
  ];
  merged.sort((a, b) => a.at - b.at);
  const inWindow = seenDigestsOf(
    [...input.window, ...(input.setAside ?? [])].map((candidate) => candidate.key),
  );
  const { seen, evictedUpTo } = evictOldest(merged, input, inWindow);
  const seenFloor =
    evictedUpTo === undefined
      ? state.seenFloor
      : Math.max(state.seenFloor ?? evictedUpTo, evictedUpTo);

  const newest = additions.reduce<KeyedEvent | undefined>(
    (best, candidate) => (best === undefined || candidate.at >= best.at ? candidate : best),
    undefined,
  );
  const advancesLastSeen =
    newest !== undefined &&
    (state.lastSeenDate === null || newest.at >= Date.parse(state.lastSeenDate));

  const lastSeenId = !advancesLastSeen
    ? state.lastSeenId
    : newest.key.length > MAX_LAST_SEEN_ID_CHARS
      ? fingerprintOf(newest.key)
      : newest.key;
  const fitted = fitCursorBudget(
    {
      ...state,
      mode: nextMode,
      lastSeenId,
      lastSeenDate: advancesLastSeen ? newest.event.date : state.lastSeenDate,
      seen,
      seenFloor,
      windowDigest: input.windowDigest,
      version: state.version + 1,
      updatedAt: input.now.toISOString(),
    },
    inWindow,
    input.maxItemBytes,
  );
  if (fitted.overBudget) input.onOverBudget?.(fitted.overBudget);
  return fitted.state;
}

/**
 * Drops the oldest ids beyond the limit, but never an id still in the window: the API can still
 * show it, and forgetting it would emit it again. Returns the newest evicted date.
 */
function evictOldest(
  sorted: SeenEvent[],
  input: AdvanceInput,
  inWindow: ReadonlySet<string>,
): { seen: SeenEvent[]; evictedUpTo: number | undefined } {
  const windowSize = input.window.length + (input.setAside?.length ?? 0);
  const limit = Math.max(input.capacity, 2 * windowSize);
  let excess = sorted.length - limit;
  if (excess <= 0) return { seen: sorted, evictedUpTo: undefined };
  let evictedUpTo: number | undefined;
  const seen = sorted.filter((entry) => {
    if (excess <= 0 || inWindow.has(entry.digest)) return true;
    excess--;
    evictedUpTo = Math.max(evictedUpTo ?? entry.at, entry.at);
    return false;
  });
  return { seen, evictedUpTo };
}
