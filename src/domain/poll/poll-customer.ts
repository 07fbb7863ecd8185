import type { RejectedEvent } from '../capillary-event.js';
import type { CustomerState, WatchEntry } from '../customer-state.js';
import { isCoverageGap } from '../detect/coverage-gap.js';
import type { CursorOverBudget } from '../detect/cursor-budget.js';
import { detectNewEvents, type KeyedEvent, windowDigest } from '../detect/detect-new-events.js';
import { isolateWindow, setAsidePoisoned } from '../detect/poisoned-events.js';
import { seenLookup } from '../detect/seen-digest.js';
import { describeError, QuotaWaitError } from '../errors.js';
import type {
  CursorStore,
  CustomerEventsSource,
  DeadLetterSink,
  EventPublisher,
  Logger,
} from '../ports.js';
import type { PsiMode } from '../publish/event-detail.js';
import { publishNewEvents, type UnpublishedEvent } from '../publish/publish-new-events.js';
import { saveCursor } from '../save/save-cursor.js';

export interface PollDependencies {
  source: CustomerEventsSource;
  store: CursorStore;
  publisher: EventPublisher;
  /** Where events that can never be published are parked; without one they stay unacknowledged. */
  deadLetters?: DeadLetterSink | undefined;
  logger: Logger;
  clock: () => Date;
}

export interface PollOptions {
  psiMode: PsiMode;
  seenCapacity: number;
  /** The poller's version, stamped on every detail. */
  version: string;
  /**
   * Epoch ms after which a fetched window is not published: too close to the end of the
   * invocation to publish and save the cursor, which would risk emitting twice.
   */
  publishBy?: number | undefined;
}

export interface CustomerPollResult {
  customerId: string;
  /**
   * `failed`: the poll itself failed and nothing changed; `conflict`: another writer won the race;
   * `deferred`: out of time (or of Capillary budget) before publishing, nothing changed.
   */
  status: 'ok' | 'failed' | 'conflict' | 'deferred';
  reason?: string;
  /**
   * The first poll of a baseline customer: events from before the watch began recorded, later
   * ones published.
   */
  baselined: boolean;
  newEvents: number;
  published: number;
  parked: number;
  unpublished: UnpublishedEvent[];
  /** The longest delay between an event's date and its publication, milliseconds. */
  maxLagMs: number | undefined;
  /**
   * The window's digest after a poll that left nothing unacknowledged, `null` after one that did,
   * `undefined` when the poll did not complete (failed, deferred, conflict).
   */
  windowDigest?: string | null | undefined;
  /** The window shared no id with the seen set and was all newer: events may have scrolled out unseen. */
  coverageGap: boolean;
  /** The customer was removed while it was being polled: nothing was done. */
  removed?: boolean;
  /** Set when even the window's ids did not fit the cursor's byte budget (see `fitCursorBudget`). */
  cursorOverBudget?: CursorOverBudget;
}

/** A poll's result before anything happened: fetched nothing, published nothing. */
export function emptyPollResult(customerId: string): CustomerPollResult {
  return {
    customerId,
    status: 'ok',
    baselined: false,
    newEvents: 0,
    published: 0,
    parked: 0,
    unpublished: [],
    maxLagMs: undefined,
    coverageGap: false,
  };
}

/**
 * Polls one customer: fetch, detect, publish oldest first, park what can never be published, and
 * move the cursor past acknowledged events only. Never throws: a failure is part of the result.
 */
export async function pollCustomer(
  watch: Pick<WatchEntry, 'customerId' | 'scope' | 'mode' | 'windowDigest'>,
  deps: PollDependencies,
  options: PollOptions,
): Promise<CustomerPollResult> {
  const result = emptyPollResult(watch.customerId);
  const log = { customerId: watch.customerId };

  // 1. Fetch the customer's window.
  let window: KeyedEvent[];
  let poisoned: RejectedEvent[];
  try {
    const fetched = await deps.source.fetchEvents(watch);
    for (const warning of fetched.warnings)
      deps.logger.warn('Capillary warning', { ...log, warning });
    ({ window, poisoned } = isolateWindow(fetched));
  } catch (error) {
    // No budget in time: nothing was asked, so the customer goes back as it was, due again.
    const status = error instanceof QuotaWaitError ? 'deferred' : 'failed';
    return { ...result, status, reason: describeError(error) };
  }
  // The same window as after the last complete poll: nothing can be new, so the seen set is not read.
  const digest = windowDigest([...window, ...poisoned]);
  if (watch.mode === 'tracking' && watch.windowDigest === digest) {
    return { ...result, windowDigest: digest };
  }
  if (options.publishBy !== undefined && deps.clock().getTime() > options.publishBy) {
    return { ...result, status: 'deferred' };
  }

  // 2. Read the cursor and detect what is new.
  let state: CustomerState | undefined;
  try {
    state = await deps.store.getCustomer(watch.customerId);
  } catch (error) {
    return { ...result, status: 'failed', reason: `cursor not read: ${describeError(error)}` };
  }
  if (!state) {
    deps.logger.info('Customer removed during the sweep; skipped', log);
    return { ...result, removed: true };
  }
  result.baselined = state.mode === 'baseline';
  if (isCoverageGap(state, window)) {
    // Published all the same: what is still visible is better late than lost with the rest.
    result.coverageGap = true;
    deps.logger.warn(
      'Coverage gap: the window shares no event with the seen set and is all newer; events may have scrolled out of the API unseen. Poll this customer more often.',
      { ...log, windowSize: window.length },
    );
  }
  const observedAt = deps.clock();
  const detection = detectNewEvents(state, window);
  if (detection.belowFloor.length > 0) {
    deps.logger.warn('Unknown events older than the seen window were not emitted', {
      ...log,
      keys: detection.belowFloor.map((candidate) => candidate.key),
    });
  }
  result.newEvents = detection.fresh.length;

  // 3. Publish the new events, oldest first; park what the bus rejects for good.
  const context = { state, observedAt, psiMode: options.psiMode, version: options.version };
  const published = await publishNewEvents(detection.fresh, context, deps);
  result.published = published.published;
  result.parked = published.parked;
  result.unpublished.push(...published.unpublished);
  result.maxLagMs = published.maxLagMs;

  // 4. Events that cannot be published as they are: parked (or reported) on their own.
  const setAside = await setAsidePoisoned(poisoned, {
    ...context,
    isSeen: seenLookup(state.seen),
    deadLetters: deps.deadLetters,
  });
  result.parked += setAside.parked;
  result.unpublished.push(...setAside.unpublished);
  for (const reason of setAside.parkedReasons) {
    deps.logger.warn('Event parked in the dead-letter queue', { ...log, reason });
  }

  // 5. Save the cursor past what is safely out.
  const completeDigest = result.unpublished.length === 0 ? digest : null;
  const saved = await saveCursor(
    state,
    {
      window,
      acknowledged: published.acknowledged,
      setAside: setAside.acknowledged,
      capacity: options.seenCapacity,
      windowDigest: completeDigest,
    },
    deps,
  );
  if (saved.cursorOverBudget) result.cursorOverBudget = saved.cursorOverBudget;
  if (saved.status !== 'saved') return { ...result, status: saved.status, reason: saved.reason };
  return { ...result, windowDigest: completeDigest };
}
