import type { CapillaryEvent } from '../capillary-event.js';

/**
 * How the identifier index learns from the log itself: a log record's `id` is the requestId of
 * the POST that created the event, which a poll sees on the fetched event. Whichever of the two is
 * seen second ties the record's identifier values to the polled customer.
 */

/** A watched customer's identifier value, learned or given (personal data: stored only hashed). */
export interface IdentifierPair {
  customerId: string;
  identifier: string;
}

/**
 * The request ids an event carries: `eventId`, `uniqueId`, and in `additonalAttributes` (sic)
 * `requestId`, `uniqueId` and `x-cap-lineage-id` (all equal in the reference's sample).
 */
function requestIdsOf(event: CapillaryEvent): string[] {
  const attributes = event.additonalAttributes;
  const candidates = [
    event.eventId,
    event.uniqueId,
    attributes.requestId,
    attributes.uniqueId,
    attributes['x-cap-lineage-id'],
  ];
  const ids = new Set<string>();
  for (const value of candidates) {
    if (typeof value === 'string' && value !== '' && value.length <= 200) ids.add(value);
  }
  return [...ids];
}

/** A map that forgets its oldest entries past `capacity`. */
class BoundedMap<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    return this.entries.get(key);
  }
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
}

/** How many recent request ids and unmatched records each side remembers (in memory only). */
const DEFAULT_LEARNING_CAPACITY = 20_000;

/**
 * Both sides of the match, bounded and in memory: the request ids of events polls fetched (id →
 * customer), and the identifier values of log records nobody could be tied to yet (id → values).
 */
export class FeedLearning {
  private readonly fetched: BoundedMap<string>;
  private readonly unmatched: BoundedMap<string[]>;

  constructor(capacity = DEFAULT_LEARNING_CAPACITY) {
    this.fetched = new BoundedMap(capacity);
    this.unmatched = new BoundedMap(capacity);
  }

  /**
   * A poll fetched `events` of `customerId`: the pairs learned from log records already read with
   * one of their request ids; later records with one are matched by `matchRecord`.
   */
  rememberFetched(customerId: string, events: readonly CapillaryEvent[]): IdentifierPair[] {
    const pairs: IdentifierPair[] = [];
    for (const event of events) {
      for (const requestId of requestIdsOf(event)) {
        this.fetched.set(requestId, customerId);
        const identifiers = this.unmatched.get(requestId);
        if (identifiers === undefined) continue;
        this.unmatched.delete(requestId);
        for (const identifier of identifiers) pairs.push({ customerId, identifier });
      }
    }
    return pairs;
  }

  /**
   * A log record the index could not resolve: the pairs when a poll already fetched its event,
   * else it is remembered for the polls to come.
   */
  matchRecord(recordId: string, identifiers: readonly string[]): IdentifierPair[] {
    const customerId = this.fetched.get(recordId);
    if (customerId === undefined) {
      this.unmatched.set(recordId, [...identifiers]);
      return [];
    }
    return identifiers.map((identifier) => ({ customerId, identifier }));
  }
}
