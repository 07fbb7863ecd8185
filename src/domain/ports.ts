import type { CapillaryEvent, RejectedEvent } from './capillary-event.js';
import type { ClaimedCustomer, DueCustomer, ScheduleState } from './claim/claimed-customer.js';
import type { CustomerState, Scope, WatchEntry, WatchMode, WatchStatus } from './customer-state.js';
import type { WalkedCustomer } from './feed/backstop-walk.js';
import type { EventLogRecord } from './feed/event-log-record.js';
import type { FeedCoverage } from './feed/feed-backstop.js';
import type { FeedCursor } from './feed/feed-cursor.js';
import type { IdentifierPair } from './feed/feed-learning.js';
import type { EventDetail } from './publish/event-detail.js';
import type { Schedule } from './schedule/schedule.js';

/** Where events come from: the Capillary client in production, a sandbox locally. */
export interface CustomerEventsSource {
  /**
   * The customer's recent events as the API returns them (newest first), plus its warnings.
   * Throws a `PollerError` when the poll failed (transport, status, malformed body, `errors`).
   */
  fetchEvents(customer: { customerId: string; scope: Scope }): Promise<FetchedEvents>;
  /** Requests sent to Capillary so far (retries and token requests included), for quota use. */
  requestsSent?(): number;
}

export interface FetchedEvents {
  events: CapillaryEvent[];
  warnings: string[];
  /** Events of the response that cannot be published as they are; the others are in `events`. */
  rejected?: RejectedEvent[];
}

/**
 * The Capillary request budget (`CAPILLARY_RPS`): every request, retries and token calls included,
 * takes one unit first. In-process (`TokenBucket`) or shared by every poller on the table.
 */
export interface QuotaGate {
  /**
   * Resolves when the caller may send one request. Waits at most `maxWaitMs` (default: the gate's
   * own bound): a request that cannot be sent by then throws `QuotaWaitError` and takes nothing.
   */
  take(maxWaitMs?: number): Promise<void>;
  /** Holds every request back for `ms` (a 429's Retry-After: the limit is the API key's). Never throws. */
  pauseFor(ms: number): void | Promise<void>;
}

/**
 * The watchlist: per customer a cursor item (the seen set, read only when a window changed) and a
 * small schedule item (status, next poll time, claim), indexed by due time so a sweep reads only
 * the customers that are due, most overdue first.
 */
export interface CursorStore {
  /** The whole cursor, read consistently. */
  getCustomer(customerId: string): Promise<CustomerState | undefined>;
  /**
   * Adds a new customer (cursor, then schedule item: due at once); `false` when it is already
   * watched (left as it is, except that a missing schedule item is created).
   */
  addCustomer(state: CustomerState): Promise<boolean>;
  /** Removes the schedule item first (no poller claims it any more), then the cursor; `false` when it was not watched. */
  removeCustomer(customerId: string): Promise<boolean>;
  /**
   * Writes `next` only if the stored version is still `expectedVersion`;
   * `conflict` when another writer got there first (nothing is written).
   */
  saveState(next: CustomerState, expectedVersion: number): Promise<'saved' | 'conflict'>;
  /** Pauses (leaves the due index) or resumes (due at `now`) a customer. */
  setStatus(customerId: string, status: WatchStatus, now: number): Promise<StatusChange>;
  /**
   * Every watched customer, active or paused, without the seen set, with its schedule; an entry
   * that cannot be read is reported, not thrown. For people (`watch list`): it reads the table.
   */
  listWatched(): AsyncIterable<WatchedCustomer>;
  /**
   * Active customers with `nextPollAt <= now`, most overdue first (`compareMostOverdue`), read
   * page by page: stop iterating and nothing more is read. Then, when `read.fastClockAfter` is
   * given, those due after it (a fast clock's `nextPollAt`): they are due too.
   */
  dueCustomers(now: number, read?: DueRead): AsyncIterable<DueCustomer>;
  /**
   * Claims a due customer (condition: active, still due, unclaimed or claim expired, the tier it
   * was listed with) and writes the tentative schedule; `undefined` when another poller has it or
   * it changed since it was listed. A claim expiring after `claimedUntil` plus the skew bound is a
   * fast clock's: expired. An unreadable schedule item is rebuilt from the cursor and said so.
   */
  claim(due: DueCustomer, request: ClaimRequest): Promise<ClaimResult | undefined>;
  /**
   * Hands a claim on to the one delivery of its work message that polls it: writes `owner` (same
   * expiry) only if the schedule item still holds `claimed`'s claim exactly (owner and
   * `claimedUntil`, not expired at `now`). `undefined` when it does not: another delivery took it
   * over, its poll completed, or it was claimed again since. The result is the claim to poll under.
   */
  takeOver(claimed: ClaimedCustomer, takeover: ClaimTakeover): Promise<ClaimedCustomer | undefined>;
  /** Writes the poll's real outcome and releases the claim; `lost` when the claim was no longer ours. */
  completePoll(claimed: ClaimedCustomer, completion: PollCompletion): Promise<'completed' | 'lost'>;
  /**
   * The active customers off the due index (claimed under the backstop) in the walk's next
   * segments, read page by page (`backstop-walk.ts`); `passMs` paces the walk.
   */
  walkOffIndex(now: number, passMs: number, deadline?: number): Promise<OffIndexWalk>;
  /** The earliest `nextPollAt` of an active customer (claimed ones included), `undefined` when none. */
  nextDueAt(): Promise<number | undefined>;
  /** One customer's schedule, read consistently (`poll <id>`); `undefined` when it has none. */
  scheduleOf(customerId: string): Promise<ScheduleState | undefined>;
}

/** One step of the backstop walk: what it found, and how to record that it was claimed. */
export interface OffIndexWalk {
  customers: WalkedCustomer[];
  /** Saves the walk past these customers; a step never advanced is walked again. */
  advance(): Promise<void>;
  /**
   * Puts walked customers a tick had no room for back on the due index, due at `dueAt` (each one
   * unchanged since walked, else left as it is), so the walk can go on without losing them.
   */
  putBackOnIndex(customers: readonly { customer: WalkedCustomer; dueAt: number }[]): Promise<void>;
}

export interface DueRead {
  /** Epoch ms: a `nextPollAt` after this one was written by a fast clock and is due. */
  fastClockAfter?: number | undefined;
  /** Epoch ms: throttled reads are tried again until then (the tick's or the sweep's deadline). */
  deadline?: number | undefined;
  /**
   * `only`: the priority lane alone (hinted customers, `priority-lane.ts`); `excluded`: all but
   * the lane. Unset: both, the lane first since its times sort below every other.
   */
  lane?: 'only' | 'excluded' | undefined;
  /**
   * For customers scheduled under the backstop bound: due up to `dueShiftMs` ahead of their
   * `nextPollAt` (while the feed is down), and a fast clock's only after `fastClockAfter`.
   */
  backstop?: { dueShiftMs: number; fastClockAfter: number } | undefined;
}

export interface ClaimRequest {
  /** Epoch ms: a throttled claim is tried again until then (the tick's or the sweep's deadline). */
  deadline?: number | undefined;
  owner: string;
  /** Epoch ms: the claim's time (the due condition and the tentative schedule are relative to it). */
  now: number;
  claimedUntil: number;
  /** The schedule should the poll be idle: written with the claim, so an idle poll writes nothing more. */
  tentative: Schedule;
  /** Named by a person (`poll <id>`): claimed even if not due yet; every other condition stands. */
  aheadOfSchedule?: boolean;
  /** The feed coverage the claim records with its schedule; unset: left as it is. */
  coverage?: FeedCoverage | undefined;
}

export interface ClaimTakeover {
  /** The delivery's own claim token (`deliveryClaimToken`): unique to one receive of one message. */
  owner: string;
  /** Epoch ms: a claim that has expired by then is not taken over. */
  now: number;
}

/** A claim, and what it found wrong with the schedule item it claimed. */
export type ClaimResult = ClaimedCustomer & {
  /** The unreadable fields of the schedule item, rebuilt from the cursor and the defaults. */
  rebuiltFields?: readonly string[] | undefined;
  /** The expiry of the claim it ended, written by a fast clock (or a hand edit). */
  fastClockClaimedUntil?: number | undefined;
};

export interface PollCompletion {
  schedule: Schedule;
  /** Set when they changed: the mirror of the cursor's mode and the last complete window's digest. */
  mode?: WatchMode | undefined;
  windowDigest?: string | null | undefined;
  /** A failed poll: why, recorded with the time for `watch list`; `null` clears an earlier one. */
  lastError?: { reason: string; at: number } | null | undefined;
}

export type StatusChange =
  | 'paused'
  | 'active'
  | 'already paused'
  | 'already active'
  | 'not watched';

export type WatchedCustomer =
  | {
      kind: 'ok';
      watch: WatchEntry;
      /** `undefined`: watched before schedule items existed and not yet migrated (`init`). */
      schedule: ScheduleState | undefined;
      /** The change feed's index ties an identifier to it (given on `watch add`, or learned). */
      identifierKnown?: boolean;
    }
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

/** One request of the org-wide event log (`GET /v2/events/logs`). */
export interface EventLogQuery {
  /** Epoch ms, the slice's ends. */
  fromMs: number;
  toMs: number;
  /** Records asked for; a response holding this many may hide more. */
  limit: number;
  eventName?: string | undefined;
}

export type EventLogPage =
  /** `received`: entries in `data` before validation (what "full" is judged on). */
  | { kind: 'records'; records: EventLogRecord[]; received: number; rejected: number }
  /** The org has no event log (HTTP 404): the feed stands down, polling goes on by schedule. */
  | { kind: 'unavailable'; detail: string };

/** The org-wide event log. Throws a `PollerError` when a request failed (after its retries). */
export interface EventLogSource {
  readEventLog(query: EventLogQuery): Promise<EventLogPage>;
}

/**
 * Identifier values (mobile numbers, emails) to watched customers. Personal data: the store keeps
 * only a keyed hash of each value, never the value, and never logs it.
 */
export interface IdentifierIndex {
  /** The watched customer of each value the index knows (values it does not know are absent). */
  resolve(identifiers: readonly string[]): Promise<Map<string, string>>;
  /** Records pairs (a value already tied to a customer is tied to the newest one). */
  learn(pairs: readonly IdentifierPair[]): Promise<void>;
}

/** The change feed's cursor item (one per table; one feed writes it). */
export interface FeedCursorStore {
  loadFeedCursor(): Promise<FeedCursor | undefined>;
  /** Writes `next` only if the stored version is still `next.version` (absent: 0); `conflict` otherwise. */
  saveFeedCursor(next: FeedCursor): Promise<'saved' | 'conflict'>;
}

/** What a hint did: made the customer due now, or nothing (polled since, already due, not watched). */
export type HintOutcome = 'due-now' | 'dropped';

/**
 * Puts a watched customer in the priority lane (`priority-lane.ts`), unless it was polled at or
 * after `startTime` or is in the lane already.
 */
export interface HintSink {
  markHinted(customerId: string, startTime: number): Promise<HintOutcome>;
}

/** What Capillary's customer lookup says an identifier value belongs to. */
export type CustomerLookupAnswer =
  | { kind: 'found'; customerId: string }
  /** No customer has this value (or the lookup cannot tell one). */
  | { kind: 'not-found' };

/**
 * Capillary's customer lookup: which customer an identifier value (personal data) belongs to.
 * Throws a `PollerError` when the lookup failed; its message never holds the value.
 */
export interface CustomerLookup {
  lookupCustomer(identifier: string): Promise<CustomerLookupAnswer>;
}

/** Whether a customer is on the watchlist (active or paused). */
export interface WatchedCustomers {
  isWatched(customerId: string): Promise<boolean>;
}
