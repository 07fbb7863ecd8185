import type { EventLogSource, IdentifierIndex } from '../ports.js';
import { readRecord } from './event-log-record.js';
import { advanceFeedCursor, type FeedCursor, feedRecordKey } from './feed-cursor.js';
import type { FeedLearning, IdentifierPair } from './feed-learning.js';
import { type FeedSlice, nextFeedWindow, restOfFullSlice } from './feed-window.js';

export interface ChangeFeedOptions {
  /** Records asked for per request (the largest `limit` the cluster honours). */
  limit: number;
  /** How much earlier than where the last read stopped each read starts: records appear late. */
  lagMs: number;
  /** Requests one read may send at most: `CHANGE_FEED_MAX_SHARE` × requests per second × interval. */
  maxRequests: number;
  /** A full slice no wider than this is not split again: it is reported as saturated. */
  minSliceMs: number;
  /** The step of the log's dates (the date format's): 1 ms, or 1 s for formats in seconds. */
  instantMs?: number | undefined;
  /** Event names asked for one by one; empty: every event. */
  eventNames: readonly string[];
  /** Top-level fields of `inputRequest` that hold a customer's identifier (e.g. `customer`). */
  identifierFields: readonly string[];
}

/** The largest number of requests one read may send, from the feed's share of the quota. */
export function feedRequestBudget(
  share: number,
  requestsPerSecond: number,
  intervalSeconds: number,
): number {
  return Math.max(1, Math.floor(share * requestsPerSecond * intervalSeconds));
}

/** A watched customer with an event in the log: due now, unless polled after `startTime`. */
export interface FeedHint {
  customerId: string;
  /** Epoch ms: the newest matched record's `startTime` for this customer. */
  startTime: number;
}

export interface FeedReadCounts {
  requests: number;
  /** Valid records received (duplicates included). */
  records: number;
  /** Records not seen before, once each. */
  newRecords: number;
  /** Records already read (the overlap, split slices' shared instants, the log's own repeats). */
  duplicates: number;
  /** Entries of `data` that are not records (no id, no startTime, ...): skipped. */
  rejectedRecords: number;
  /** Records whose event was not stored (status other than `EVENT_SUCCESS`). */
  notStored: number;
  /** Stored records with no readable identifier (bad `inputRequest`, no identifier field). */
  unidentified: number;
  /** Records with an identifier no watched customer is known by. */
  unmatched: number;
  hints: number;
  /** Identifier pairs learned from records whose id a poll had already fetched. */
  learned: number;
  slicesSplit: number;
  /** Full slices no wider than the floor: records may have been missed there. */
  saturatedSlices: number;
  /** How far behind `now` the feed has read (ms). */
  lagMs: number;
}

type FeedReadOutcome =
  | { kind: 'read' }
  /** The log is not there (404): nothing was read, the cursor is unchanged. */
  | { kind: 'unavailable'; detail: string }
  /** A request failed: what was read before it counts, the cursor stops before the failed slice. */
  | { kind: 'failed'; error: unknown };

export interface FeedRead {
  outcome: FeedReadOutcome;
  cursor: FeedCursor;
  /** One per customer. */
  hints: FeedHint[];
  learned: IdentifierPair[];
  /** New stored records whose identifier values no watched customer is known by (yet). */
  unmatched: UnmatchedRecord[];
  counts: FeedReadCounts;
}

/** A record no watched customer could be tied to: its values may be looked up (personal data). */
export interface UnmatchedRecord {
  startTime: number;
  identifiers: string[];
}

export interface ChangeFeedDependencies {
  log: EventLogSource;
  index: IdentifierIndex;
  learning: FeedLearning;
}

interface PendingSlice extends FeedSlice {
  eventName: string | undefined;
}

/**
 * Reads the log from `lagMs` before the cursor to `now`, oldest slice first, asking again what a
 * full answer may hide (`restOfFullSlice`) until every slice comes back short, within
 * `maxRequests`. Records are counted once by id; stored ones are resolved to watched customers
 * through the index, or remembered for learning. The cursor advances to the start of the oldest
 * slice not read (all of the window when all were).
 */
export async function readChangeFeed(
  dependencies: ChangeFeedDependencies,
  cursor: FeedCursor,
  now: number,
  options: ChangeFeedOptions,
): Promise<FeedRead> {
  const counts: FeedReadCounts = {
    requests: 0,
    records: 0,
    newRecords: 0,
    duplicates: 0,
    rejectedRecords: 0,
    notStored: 0,
    unidentified: 0,
    unmatched: 0,
    hints: 0,
    learned: 0,
    slicesSplit: 0,
    saturatedSlices: 0,
    lagMs: Math.max(0, now - cursor.readTo),
  };
  const window = nextFeedWindow(cursor.readTo, now, options.lagMs);
  if (window === undefined) {
    return { outcome: { kind: 'read' }, cursor, hints: [], learned: [], unmatched: [], counts };
  }
  const names = options.eventNames.length > 0 ? options.eventNames : [undefined];
  const pending: PendingSlice[] = names.map((eventName) => ({ ...window, eventName }));
  const seen = new Set(cursor.recent.map(([id]) => id));
  const fresh: { id: string; startTime: number; identifiers: string[] }[] = [];
  const read: { id: string; startTime: number }[] = [];
  let outcome: FeedReadOutcome = { kind: 'read' };

  while (pending.length > 0 && counts.requests < options.maxRequests) {
    pending.sort((a, b) => a.fromMs - b.fromMs);
    const slice = pending.shift() as PendingSlice;
    counts.requests += 1;
    let page: Awaited<ReturnType<EventLogSource['readEventLog']>>;
    try {
      page = await dependencies.log.readEventLog({
        fromMs: slice.fromMs,
        toMs: slice.toMs,
        limit: options.limit,
        eventName: slice.eventName,
      });
    } catch (error) {
      pending.push(slice);
      outcome = { kind: 'failed', error };
      break;
    }
    if (page.kind === 'unavailable') {
      return {
        outcome: { kind: 'unavailable', detail: page.detail },
        cursor,
        hints: [],
        learned: [],
        unmatched: [],
        counts,
      };
    }
    counts.rejectedRecords += page.rejected;
    counts.records += page.records.length;
    for (const record of page.records) {
      const key = feedRecordKey(record.id);
      if (seen.has(key)) {
        counts.duplicates += 1;
        continue;
      }
      seen.add(key);
      read.push({ id: record.id, startTime: record.startTime });
      counts.newRecords += 1;
      const reading = readRecord(record, options.identifierFields);
      if (reading.kind === 'not-stored') counts.notStored += 1;
      else if (reading.kind === 'unidentified') counts.unidentified += 1;
      else
        fresh.push({
          id: record.id,
          startTime: record.startTime,
          identifiers: reading.identifiers,
        });
    }
    if (page.received >= options.limit) {
      const startTimes = page.records.map((record) => record.startTime);
      // What the rest of this read's budget can still take; a wider rest is halved, so a feed far
      // behind finishes its oldest slices and its cursor moves on.
      const recordsLeft = (options.maxRequests - counts.requests) * options.limit;
      const rest = restOfFullSlice(slice, startTimes, {
        minWidthMs: options.minSliceMs,
        instantMs: options.instantMs ?? 1,
        recordsLeft,
      });
      if (rest === undefined) counts.saturatedSlices += 1;
      else {
        counts.slicesSplit += 1;
        for (const part of rest) pending.push({ ...part, eventName: slice.eventName });
      }
    }
  }

  const readTo = pending.length === 0 ? window.toMs : Math.min(...pending.map((s) => s.fromMs));
  const { hints, learned, unmatched } = await resolve(dependencies, fresh);
  counts.hints = hints.length;
  counts.learned = learned.length;
  counts.unmatched = unmatched.length;
  const next = advanceFeedCursor(cursor, readTo, read, options.lagMs);
  counts.lagMs = Math.max(0, now - next.readTo);
  return { outcome, cursor: next, hints, learned, unmatched, counts };
}

/** Records to hints (one per customer, its newest record) and, for the unknown, learning. */
async function resolve(
  { index, learning }: ChangeFeedDependencies,
  records: readonly { id: string; startTime: number; identifiers: string[] }[],
): Promise<{ hints: FeedHint[]; learned: IdentifierPair[]; unmatched: UnmatchedRecord[] }> {
  const known =
    records.length === 0
      ? new Map<string, string>()
      : await index.resolve([...new Set(records.flatMap((r) => r.identifiers))]);
  const newest = new Map<string, number>();
  const learned: IdentifierPair[] = [];
  const unmatched: UnmatchedRecord[] = [];
  for (const record of records) {
    const customerId = record.identifiers
      .map((value) => known.get(value))
      .find((id) => id !== undefined);
    if (customerId !== undefined) {
      newest.set(customerId, Math.max(newest.get(customerId) ?? 0, record.startTime));
      continue;
    }
    const pairs = learning.matchRecord(record.id, record.identifiers);
    if (pairs.length === 0) {
      unmatched.push({ startTime: record.startTime, identifiers: record.identifiers });
      continue;
    }
    // A poll already fetched this record's event: nothing to hint, only the pairs to learn.
    learned.push(...pairs);
  }
  // Oldest first: the customer that has waited longest is marked first.
  const hints = [...newest]
    .map(([customerId, startTime]) => ({ customerId, startTime }))
    .sort((a, b) => a.startTime - b.startTime);
  return { hints, learned, unmatched };
}
