import { describeRejected, type RejectedEvent } from '../capillary-event.js';
import type { CustomerState } from '../customer-state.js';
import { describeError } from '../errors.js';
import type { DeadLetterSink, FetchedEvents, OutgoingEvent } from '../ports.js';
import type { PsiMode } from '../publish/event-detail.js';
import { type KeyedEvent, orderWindow, predatesWatch } from './detect-new-events.js';
import { EventShapeError, eventKey } from './event-key.js';

/**
 * Keys each event on its own. An event that cannot be keyed (too deep or too large to hash) joins
 * those the source already rejected (no valid date or name, too deep, too large): they are set
 * aside, and the rest of the window goes on as usual.
 */
export function isolateWindow(fetched: FetchedEvents): {
  window: KeyedEvent[];
  poisoned: RejectedEvent[];
} {
  const poisoned = [...(fetched.rejected ?? [])];
  const keyed: { key: string; event: (typeof fetched.events)[number] }[] = [];
  fetched.events.forEach((event, position) => {
    try {
      keyed.push({ key: eventKey(event), event });
    } catch (error) {
      if (!(error instanceof EventShapeError)) throw error;
      poisoned.push(describeRejected(event, position, error.message));
    }
  });
  // One identity counts once: a valid event of the same key stands for it.
  const valid = new Set(keyed.map((entry) => entry.key));
  const unique = new Map(
    poisoned.filter((event) => !valid.has(event.key)).map((event) => [event.key, event]),
  );
  return { window: orderWindow(keyed), poisoned: [...unique.values()] };
}

export interface SetAsideOutcome {
  /** Parked now (or recorded by a baseline): remembered in the seen set like published events. */
  acknowledged: { key: string; at: number }[];
  /** Not parked (no dead-letter queue, or parking failed): reported on every poll until it leaves the window. */
  unpublished: { key: string; eventName: string; reason: string }[];
  parked: number;
  /** One line per event parked now, naming it and why. */
  parkedReasons: string[];
}

export interface SetAsideContext {
  state: CustomerState;
  /** Ids the cursor already holds (those parked by an earlier poll are not parked again). */
  isSeen: (key: string) => boolean;
  deadLetters: DeadLetterSink | undefined;
  observedAt: Date;
  psiMode: PsiMode;
  version: string;
}

/**
 * Parks the events that cannot be published on the dead-letter queue, once each, with a reason
 * that names the event and what is wrong with it. Without a queue they stay unacknowledged and are
 * reported by key and position on every poll. Never throws.
 */
export async function setAsidePoisoned(
  poisoned: readonly RejectedEvent[],
  context: SetAsideContext,
): Promise<SetAsideOutcome> {
  const outcome: SetAsideOutcome = {
    acknowledged: [],
    unpublished: [],
    parked: 0,
    parkedReasons: [],
  };
  const { state, observedAt } = context;
  const atOf = (event: RejectedEvent) => event.at ?? observedAt.getTime();
  const fresh = poisoned.filter(
    (event) =>
      !context.isSeen(event.key) &&
      // Dated before the seen floor: an id evicted long ago, shown again; it was handled then.
      !(event.at !== null && state.seenFloor !== null && event.at < state.seenFloor),
  );
  if (fresh.length === 0) return outcome;
  // A baseline records what was there before the watch began; what came after is parked below.
  const before =
    state.mode === 'baseline' ? fresh.filter((event) => predatesWatch(state, event.at)) : [];
  outcome.acknowledged = before.map((event) => ({ key: event.key, at: atOf(event) }));
  const after = fresh.filter((event) => !before.includes(event));
  if (after.length === 0) return outcome;
  const items = after.map((event) => ({
    rejected: event,
    event: placeholderEvent(event, context),
    reason: describePoisoned(event),
  }));
  if (!context.deadLetters) {
    outcome.unpublished = items.map(({ rejected, reason }) => ({
      key: rejected.key,
      eventName: rejected.eventName ?? '(unknown)',
      reason: `${reason}; no dead-letter queue is configured (DLQ_URL), so it is reported on every poll`,
    }));
    return outcome;
  }
  let results: Awaited<ReturnType<DeadLetterSink['park']>>;
  try {
    results = await context.deadLetters.park(items);
  } catch (error) {
    const problem = describeError(error);
    results = items.map(({ rejected }) => ({ key: rejected.key, parked: false, reason: problem }));
  }
  items.forEach(({ rejected, reason }, index) => {
    const result = results[index];
    if (result?.parked) {
      outcome.parked++;
      outcome.parkedReasons.push(reason);
      outcome.acknowledged.push({ key: rejected.key, at: atOf(rejected) });
    } else {
      outcome.unpublished.push({
        key: rejected.key,
        eventName: rejected.eventName ?? '(unknown)',
        reason: `${reason}; parking failed: ${result?.reason ?? 'no outcome'}`,
      });
    }
  });
  return outcome;
}

/** `event <key> at position <n> of the response (<name>) cannot be published: <why>`. */
function describePoisoned(event: RejectedEvent): string {
  const name = event.eventName === null ? '' : ` (${event.eventName})`;
  return `event ${event.key} at position ${event.position} of the response${name} cannot be published: ${event.reason}`;
}

/**
 * What the dead-letter queue receives for an event that has no publishable form: its identity and
 * what could be read safely, no content (it may be huge, deep or hold PSI); `reason` says why, and
 * the event can be read again from Capillary by its id.
 */
function placeholderEvent(event: RejectedEvent, context: SetAsideContext): OutgoingEvent {
  const time = new Date(event.at ?? context.observedAt.getTime());
  const eventName = event.eventName ?? '(unknown)';
  return {
    key: event.key,
    customerId: context.state.customerId,
    detailType: eventName,
    time,
    detail: {
      customerId: context.state.customerId,
      orgId: null,
      eventName,
      uniqueId: null,
      eventId: null,
      date: time.toISOString(),
      source: null,
      tillCode: null,
      displayName: null,
      attributes: {},
      poller: {
        eventKey: event.key,
        scope: context.state.scope,
        observedAt: context.observedAt.toISOString(),
        version: context.version,
        psi: { mode: context.psiMode, attributes: [] },
      },
    },
  };
}
