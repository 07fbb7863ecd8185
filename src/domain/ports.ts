import type { CapillaryEvent } from './capillary-event.js';
import type { CustomerState, Scope, WatchEntry } from './customer-state.js';
import type { EventDetail } from './event-detail.js';

/** Where events come from: the Capillary client in production, a sandbox locally. */
export interface CustomerEventsSource {
  /**
   * The customer's recent events as the API returns them (newest first), plus its warnings.
   * Throws a `PollerError` when the poll failed (transport, status, malformed body, `errors`).
   */
  fetchEvents(customer: { customerId: string; scope: Scope }): Promise<FetchedEvents>;
}

export interface FetchedEvents {
  events: CapillaryEvent[];
  warnings: string[];
}

/** Watchlist and cursors, one item per customer. */
export interface CursorStore {
  /**
   * Every watched customer, active or paused, without the seen set (cheap to read in bulk);
   * an entry that cannot be read is reported, not thrown.
   */
  listCustomers(): AsyncIterable<StoredCustomer>;
  /** The whole state, read consistently. */
  getCustomer(customerId: string): Promise<CustomerState | undefined>;
  /** Adds a new customer; `false` when it is already watched (left as it is). */
  addCustomer(state: CustomerState): Promise<boolean>;
  /** `false` when it was not watched. */
  removeCustomer(customerId: string): Promise<boolean>;
  /**
   * Writes `next` only if the stored version is still `expectedVersion`;
   * `conflict` when another writer got there first (nothing is written).
   */
  saveState(next: CustomerState, expectedVersion: number): Promise<'saved' | 'conflict'>;
}

export type StoredCustomer =
  | { kind: 'ok'; watch: WatchEntry }
  | { kind: 'unreadable'; customerId: string; reason: string };

/** One entry for the bus: the adapter adds source and bus name. */
export interface OutgoingEvent {
  /** The event's identity; outcomes are reported by it. */
  key: string;
  customerId: string;
  detailType: string;
  time: Date;
  detail: EventDetail;
}

export type PublishOutcome =
  | { key: string; status: 'published' }
  /** Can never be published as it is (too large, rejected as invalid). */
  | { key: string; status: 'rejected'; reason: string }
  /** Could not be published now (throttled, service errors) after the allowed retries. */
  | { key: string; status: 'failed'; reason: string };

/** Puts events on the bus; one outcome per event, in the same order. Never throws for an event's failure. */
export interface EventPublisher {
  publish(events: readonly OutgoingEvent[]): Promise<PublishOutcome[]>;
}

export type ParkOutcome =
  | { key: string; parked: true }
  | { key: string; parked: false; reason: string };

/** Durable parking for events that can never be published (an SQS dead-letter queue). */
export interface DeadLetterSink {
  park(items: readonly { event: OutgoingEvent; reason: string }[]): Promise<ParkOutcome[]>;
}

/** Structured logging; Powertools' Logger fits this shape. */
export interface Logger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}
