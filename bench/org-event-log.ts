/*
 * Capillary's org-wide event log (`GET /v2/events/logs`) as the reference describes it, served
 * from memory to the feed's own code: records dated in the asked window (both ends inclusive),
 * newest first, at most `limit`, no pages; a record is there only once it has appeared (a lag
 * after its `startTime`). Records live in typed arrays and become objects only when served: a
 * busy org's day is millions of them.
 *
 * The simulation's clock starts near 0 (its warm-up is before it); the feed's code wants epoch ms
 * (its cursor is never below 0), so the log speaks epoch ms: simulated time + `LOG_EPOCH_MS`.
 */
import type { EventLogRecord } from '../src/domain/feed/event-log-record.js';
import type { EventLogPage, EventLogQuery, EventLogSource } from '../src/domain/ports.js';
import { type FleetEvents, seededRandom } from './fleet-activity.js';

export interface OrgLogOptions {
  /** Records dated in [fromMs, toMs) are in the log. */
  fromMs: number;
  toMs: number;
  /** Records a second of customers nobody watches (their identifiers are in no index). */
  unwatchedPerSecond: number;
  /** A record appears between 0 and this long after its `startTime`. */
  maxLagMs: number;
  /** Share of records the log serves twice (the same id). */
  duplicateShare: number;
  /** Records of events that were not stored (status other than `EVENT_SUCCESS`), per record. */
  notStoredShare: number;
  seed: number;
}

/** Simulated time 0 as the log (and the feed) see it. */
export const LOG_EPOCH_MS = Date.parse('2026-12-07T00:00:00Z');

/** Customers nobody watches: identifiers drawn from this many. */
const UNWATCHED_POOL = 1_000_000;
const NOT_STORED = 1;

/** The identifier value a watched customer is known by (given on `watch add`). */
export function watchedIdentifier(customer: number): string {
  return String(919_000_000_000 + customer);
}

function unwatchedIdentifier(person: number): string {
  return String(929_000_000_000 + person);
}

export class OrgEventLog implements EventLogSource {
  /** Simulated time: records that have not appeared by then are not served. */
  now = 0;
  /** Requests answered, for the quota. */
  requests = 0;

  constructor(
    private readonly startTimes: Float64Array,
    private readonly appearAt: Float64Array,
    /** Watched customer index, or -1 - person for unwatched ones. */
    private readonly who: Int32Array,
    private readonly status: Uint8Array,
    private readonly recordIds: Int32Array,
  ) {}

  get size(): number {
    return this.startTimes.length;
  }

  async readEventLog(query: EventLogQuery): Promise<EventLogPage> {
    this.requests += 1;
    const records: EventLogRecord[] = [];
    for (
      let index = this.lastAtOrBefore(query.toMs - LOG_EPOCH_MS);
      index >= 0 && (this.startTimes[index] as number) >= query.fromMs - LOG_EPOCH_MS;
      index--
    ) {
      if ((this.appearAt[index] as number) > this.now) continue;
      records.push(this.record(index));
      if (records.length >= query.limit) break;
    }
    return { kind: 'records', records, received: records.length, rejected: 0 };
  }

  private lastAtOrBefore(ms: number): number {
    let low = 0;
    let high = this.startTimes.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.startTimes[middle] as number) <= ms) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  private record(index: number): EventLogRecord {
    const who = this.who[index] as number;
    const customer = who >= 0 ? watchedIdentifier(who) : unwatchedIdentifier(-1 - who);
    const id = String(this.recordIds[index]).padStart(12, '0');
    return {
      id: `00000000-0000-4000-8000-${id}`,
      startTime: (this.startTimes[index] as number) + LOG_EPOCH_MS,
      status: this.status[index] === NOT_STORED ? 'NO_CUSTOMER_DETAILS_PASSED' : 'EVENT_SUCCESS',
      eventName: 'Viewed',
      inputRequest: `{"event_name":"Viewed","customer":"${customer}"}`,
    };
  }
}

/**
 * The log of an org whose watched customers' events are `events`: one stored record per event,
 * at its date, plus unwatched customers' records, not-stored records and a few served twice.
 */
export function buildOrgEventLog(events: FleetEvents, options: OrgLogOptions): OrgEventLog {
  const random = seededRandom(options.seed);
  const starts: number[] = [];
  const who: number[] = [];
  const status: number[] = [];
  const customers = events.offsets.length - 1;
  const inSpan = (at: number) => at >= options.fromMs && at < options.toMs;
  for (let customer = 0; customer < customers; customer++) {
    const end = events.offsets[customer + 1] as number;
    for (let index = events.offsets[customer] as number; index < end; index++) {
      const at = events.times[index] as number;
      if (!inSpan(at)) continue;
      starts.push(at);
      who.push(customer);
      status.push(0);
    }
  }
  const meanGapMs = 1000 / options.unwatchedPerSecond;
  for (let at = options.fromMs; ; ) {
    at += -Math.log(1 - random()) * meanGapMs;
    if (!inSpan(at)) break;
    starts.push(Math.floor(at));
    who.push(-1 - Math.floor(random() * UNWATCHED_POOL));
    status.push(0);
  }
  const stored = starts.length;
  for (let extra = Math.round(stored * options.notStoredShare); extra > 0; extra--) {
    const copyOf = Math.floor(random() * stored);
    starts.push(starts[copyOf] as number);
    who.push(who[copyOf] as number);
    status.push(NOT_STORED);
  }
  const ids = Array.from({ length: starts.length }, (_, index) => index);
  const appear = starts.map((at) => at + random() * options.maxLagMs);
  for (let extra = Math.round(starts.length * options.duplicateShare); extra > 0; extra--) {
    const copyOf = Math.floor(random() * ids.length);
    starts.push(starts[copyOf] as number);
    who.push(who[copyOf] as number);
    status.push(status[copyOf] as number);
    ids.push(ids[copyOf] as number);
    appear.push((appear[copyOf] as number) + random() * options.maxLagMs);
  }
  const order = Uint32Array.from(starts, (_, index) => index).sort(
    (a, b) => (starts[a] as number) - (starts[b] as number),
  );
  const pick = (values: number[]) => Array.from(order, (index) => values[index] as number);
  return new OrgEventLog(
    Float64Array.from(pick(starts)),
    Float64Array.from(pick(appear)),
    Int32Array.from(pick(who)),
    Uint8Array.from(pick(status)),
    Int32Array.from(pick(ids)),
  );
}
