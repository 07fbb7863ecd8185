import type { RejectedEvent } from './capillary-event.js';
import { isCoverageGap } from './coverage-gap.js';
import { type CursorOverBudget, seenLookup } from './cursor-budget.js';
import type { CustomerState, WatchEntry } from './customer-state.js';
import {
  advanceCursor,
  detectNewEvents,
  type KeyedEvent,
  windowDigest,
} from './detect-new-events.js';
import { describeError } from './errors.js';
import { type PsiMode, toEventDetail } from './event-detail.js';
import { isolateWindow, setAsidePoisoned } from './poisoned-events.js';
import type {
  CursorStore,
  CustomerEventsSource,
  DeadLetterSink,
  EventPublisher,
  Logger,
  OutgoingEvent,
  PublishOutcome,
} from './ports.js';

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

/** An event that went nowhere this poll: it stays unacknowledged and is tried again next poll. */
export interface UnpublishedEvent {
  key: string;
  eventName: string;
  reason: string;
}

export interface CustomerPollResult {
  customerId: string;
  /**
   * `failed`: the poll itself failed and nothing changed; `conflict`: another writer won the race;
   * `deferred`: out of time before publishing, nothing changed.
   */
  status: 'ok' | 'failed' | 'conflict' | 'deferred';
  reason?: string;
  /** The first poll of a baseline customer: events recorded, none emitted. */
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

/**
 * Polls one customer: fetch, detect, publish oldest first, park what can never be published, and
 * move the cursor past acknowledged events only. Never throws: a failure is part of the result.
 */
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

export async function pollCustomer(
  watch: Pick<WatchEntry, 'customerId' | 'scope' | 'mode' | 'windowDigest'>,
  deps: PollDependencies,
  options: PollOptions,
): Promise<CustomerPollResult> {
  const result = emptyPollResult(watch.customerId);
  const log = { customerId: watch.customerId };

  let window: KeyedEvent[];
  let poisoned: RejectedEvent[];
  try {
    const fetched = await deps.source.fetchEvents(watch);
    for (const warning of fetched.warnings)
      deps.logger.warn('Capillary warning', { ...log, warning });
    ({ window, poisoned } = isolateWindow(fetched));
  } catch (error) {
    return { ...result, status: 'failed', reason: describeError(error) };
  }
  // The same window as after the last complete poll: nothing can be new, so the seen set is not read.
  const digest = windowDigest([...window, ...poisoned]);
  if (watch.mode === 'tracking' && watch.windowDigest === digest) {
    return { ...result, windowDigest: digest };
  }
  if (options.publishBy !== undefined && deps.clock().getTime() > options.publishBy) {
    return { ...result, status: 'deferred' };
  }

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

  const outgoing = detection.fresh.map((candidate) =>
    toOutgoing(state, candidate, observedAt, options),
  );
  const outcomes = await publishSafely(deps.publisher, outgoing);
  const acknowledgedKeys = new Set<string>();
  const rejected: { event: OutgoingEvent; reason: string }[] = [];
  outcomes.forEach((outcome, index) => {
    const event = outgoing[index] as OutgoingEvent;
    if (outcome.status === 'published') {
      acknowledgedKeys.add(outcome.key);
      result.published++;
      const lagMs = observedAt.getTime() - event.time.getTime();
      result.maxLagMs = Math.max(result.maxLagMs ?? lagMs, lagMs);
    } else if (outcome.status === 'rejected' && deps.deadLetters) {
      rejected.push({ event, reason: outcome.reason });
    } else {
      result.unpublished.push({
        key: outcome.key,
        eventName: event.detailType,
        reason: outcome.reason,
      });
    }
  });
  if (rejected.length > 0 && deps.deadLetters) {
    for (const parked of await parkSafely(deps.deadLetters, rejected)) {
      const { event, reason } = parked.item;
      if (parked.outcome.parked) {
        acknowledgedKeys.add(event.key);
        result.parked++;
        deps.logger.warn('Event parked in the dead-letter queue', {
          ...log,
          key: event.key,
          reason,
        });
      } else {
        result.unpublished.push({
          key: event.key,
          eventName: event.detailType,
          reason: `${reason}; parking failed: ${parked.outcome.reason}`,
        });
      }
    }
  }

  // Events that cannot be published as they are: parked (or reported) on their own.
  const setAside = await setAsidePoisoned(poisoned, {
    state,
    isSeen: seenLookup(state.seen),
    deadLetters: deps.deadLetters,
    observedAt,
    psiMode: options.psiMode,
    version: options.version,
  });
  result.parked += setAside.parked;
  result.unpublished.push(...setAside.unpublished);
  for (const reason of setAside.parkedReasons) {
    deps.logger.warn('Event parked in the dead-letter queue', { ...log, reason });
  }

  const completeDigest = result.unpublished.length === 0 ? digest : null;
  const next = advanceCursor(state, {
    window,
    acknowledged: detection.fresh.filter((candidate) => acknowledgedKeys.has(candidate.key)),
    setAside: setAside.acknowledged,
    capacity: options.seenCapacity,
    now: deps.clock(),
    windowDigest: completeDigest,
    onOverBudget: (report) => {
      result.cursorOverBudget = report;
      deps.logger.error('Cursor over its byte budget: the window alone does not fit', {
        ...log,
        ...report,
      });
    },
  });
  if (next) {
    try {
      if ((await deps.store.saveState(next, state.version)) === 'conflict') {
        deps.logger.warn('Cursor changed by another poller; this poll is not applied', log);
        return { ...result, status: 'conflict', reason: 'cursor changed by another poller' };
      }
    } catch (error) {
      return { ...result, status: 'failed', reason: `cursor not saved: ${describeError(error)}` };
    }
  }
  return { ...result, windowDigest: completeDigest };
}

function toOutgoing(
  state: CustomerState,
  candidate: KeyedEvent,
  observedAt: Date,
  options: PollOptions,
): OutgoingEvent {
  return {
    key: candidate.key,
    customerId: state.customerId,
    detailType: candidate.event.eventName,
    time: new Date(candidate.at),
    detail: toEventDetail(candidate.event, {
      customerId: state.customerId,
      scope: state.scope,
      eventKey: candidate.key,
      observedAt,
      version: options.version,
      psiMode: options.psiMode,
    }),
  };
}

/** A publisher that throws (a bug, a dead network) fails every event of this poll, nothing more. */
async function publishSafely(
  publisher: EventPublisher,
  events: OutgoingEvent[],
): Promise<PublishOutcome[]> {
  if (events.length === 0) return [];
  try {
    return await publisher.publish(events);
  } catch (error) {
    const reason = describeError(error);
    return events.map((event) => ({ key: event.key, status: 'failed', reason }));
  }
}

async function parkSafely(sink: DeadLetterSink, items: { event: OutgoingEvent; reason: string }[]) {
  try {
    const outcomes = await sink.park(items);
    return items.map((item, index) => ({
      item,
      outcome: outcomes[index] ?? {
        key: item.event.key,
        parked: false as const,
        reason: 'no outcome',
      },
    }));
  } catch (error) {
    const reason = describeError(error);
    return items.map((item) => ({
      item,
      outcome: { key: item.event.key, parked: false as const, reason },
    }));
  }
}
