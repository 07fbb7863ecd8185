import type { CustomerState } from '../customer-state.js';
import type { KeyedEvent } from '../detect/detect-new-events.js';
import { describeError } from '../errors.js';
import type {
  DeadLetterSink,
  EventPublisher,
  Logger,
  OutgoingEvent,
  PublishOutcome,
} from '../ports.js';
import { type PsiMode, toEventDetail } from './event-detail.js';

/** An event that went nowhere this poll: it stays unacknowledged and is tried again next poll. */
export interface UnpublishedEvent {
  key: string;
  eventName: string;
  reason: string;
}

export interface PublishContext {
  state: CustomerState;
  /** When the poll fetched the window: stamped on every detail, and the end of each event's lag. */
  observedAt: Date;
  psiMode: PsiMode;
  /** The poller's version, stamped on every detail. */
  version: string;
}

export interface PublishPorts {
  publisher: EventPublisher;
  /** Where events that can never be published are parked; without one they stay unacknowledged. */
  deadLetters?: DeadLetterSink | undefined;
  logger: Logger;
}

export interface NewEventsOutcome {
  /** The new events now safely out (published or parked): the cursor moves past these only. */
  acknowledged: KeyedEvent[];
  published: number;
  parked: number;
  unpublished: UnpublishedEvent[];
  /** The longest delay between an event's date and its publication, milliseconds. */
  maxLagMs: number | undefined;
}

/**
 * Publishes a customer's new events, oldest first, with one outcome per event: an event the bus
 * rejects for good is parked on the dead-letter queue (when there is one), and an event that went
 * nowhere stays unacknowledged, to be tried again next poll. Never throws.
 */
export async function publishNewEvents(
  fresh: readonly KeyedEvent[],
  context: PublishContext,
  ports: PublishPorts,
): Promise<NewEventsOutcome> {
  const outcome: NewEventsOutcome = {
    acknowledged: [],
    published: 0,
    parked: 0,
    unpublished: [],
    maxLagMs: undefined,
  };
  const outgoing = fresh.map((candidate) => toOutgoing(candidate, context));
  const outcomes = await publishSafely(ports.publisher, outgoing);
  const acknowledgedKeys = new Set<string>();
  const rejected: { event: OutgoingEvent; reason: string }[] = [];
  outcomes.forEach((published, index) => {
    const event = outgoing[index] as OutgoingEvent;
    if (published.status === 'published') {
      acknowledgedKeys.add(published.key);
      outcome.published++;
      const lagMs = context.observedAt.getTime() - event.time.getTime();
      outcome.maxLagMs = Math.max(outcome.maxLagMs ?? lagMs, lagMs);
    } else if (published.status === 'rejected' && ports.deadLetters) {
      rejected.push({ event, reason: published.reason });
    } else {
      outcome.unpublished.push({
        key: published.key,
        eventName: event.detailType,
        reason: published.reason,
      });
    }
  });
  if (rejected.length > 0 && ports.deadLetters) {
    for (const parked of await parkSafely(ports.deadLetters, rejected)) {
      const { event, reason } = parked.item;
      if (parked.outcome.parked) {
        acknowledgedKeys.add(event.key);
        outcome.parked++;
        ports.logger.warn('Event parked in the dead-letter queue', {
          customerId: context.state.customerId,
          key: event.key,
          reason,
        });
      } else {
        outcome.unpublished.push({
          key: event.key,
          eventName: event.detailType,
          reason: `${reason}; parking failed: ${parked.outcome.reason}`,
        });
      }
    }
  }
  outcome.acknowledged = fresh.filter((candidate) => acknowledgedKeys.has(candidate.key));
  return outcome;
}

function toOutgoing(candidate: KeyedEvent, context: PublishContext): OutgoingEvent {
  const { state } = context;
  return {
    key: candidate.key,
    customerId: state.customerId,
    detailType: candidate.event.eventName,
    time: new Date(candidate.at),
    detail: toEventDetail(candidate.event, {
      customerId: state.customerId,
      scope: state.scope,
      eventKey: candidate.key,
      observedAt: context.observedAt,
      version: context.version,
      psiMode: context.psiMode,
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
