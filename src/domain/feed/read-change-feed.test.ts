import { describe, expect, it } from 'vitest';
import { PollerError } from '../errors.js';
import type { EventLogPage, EventLogQuery, EventLogSource, IdentifierIndex } from '../ports.js';
import { initialFeedCursor } from './feed-cursor.js';
import { FeedLearning, type IdentifierPair } from './feed-learning.js';
import { type ChangeFeedOptions, feedRequestBudget, readChangeFeed } from './read-change-feed.js';

/** The log as the reference describes it: inclusive dates, newest first, at most `limit`, no pages. */
class Log implements EventLogSource {
  readonly queries: EventLogQuery[] = [];
  records: Record<string, unknown>[] = [];
  failures = 0;
  unavailable = false;
  async readEventLog(query: EventLogQuery): Promise<EventLogPage> {
    this.queries.push(query);
    if (this.unavailable) return { kind: 'unavailable', detail: 'HTTP 404' };
    if (this.failures > 0) {
      this.failures -= 1;
      throw new PollerError('log request failed', 'try later');
    }
    const data = this.records
      .filter(
        (r) => (r.startTime as number) >= query.fromMs && (r.startTime as number) <= query.toMs,
      )
      .sort((a, b) => (b.startTime as number) - (a.startTime as number))
      .slice(0, query.limit);
    return { kind: 'records', records: data as never, received: data.length, rejected: 0 };
  }
}

class Index implements IdentifierIndex {
  readonly known = new Map<string, string>();
  async resolve(identifiers: readonly string[]) {
    return new Map(
      identifiers.filter((v) => this.known.has(v)).map((v) => [v, this.known.get(v) as string]),
    );
  }
  async learn(pairs: readonly IdentifierPair[]) {
    for (const { customerId, identifier } of pairs) this.known.set(identifier, customerId);
  }
}

const record = (id: string, startTime: number, customer: string, status = 'EVENT_SUCCESS') => ({
  id,
  startTime,
  status,
  eventName: 'Viewed',
  inputRequest: JSON.stringify({ event_name: 'Viewed', customer }),
});

const options: ChangeFeedOptions = {
  limit: 10,
  lagMs: 60_000,
  maxRequests: 100,
  minSliceMs: 1_000,
  eventNames: [],
  identifierFields: ['customer'],
};
const T = 1_800_000_000_000;

function setUp() {
  const log = new Log();
  const index = new Index();
  index.known.set('+911', '101');
  index.known.set('+912', '102');
  return { log, index, deps: { log, index, learning: new FeedLearning() } };
}

describe('reading the change feed', () => {
  it('hints each watched customer once, at its newest record, and counts the rest', async () => {
    const { log, deps } = setUp();
    log.records = [
      record('a', T - 5_000, '+911'),
      record('b', T - 4_000, '+911'),
      record('c', T - 3_000, '+912'),
      record('d', T - 2_000, '+999'),
      record('e', T - 1_000, '+911', 'NO_CUSTOMER_DETAILS_PASSED'),
      { ...record('f', T - 500, '+912'), inputRequest: '{"customer":' },
    ];
    const read = await readChangeFeed(deps, initialFeedCursor(T - 10_000, 0), T, options);
    expect(read.outcome).toEqual({ kind: 'read' });
    expect(read.hints).toEqual([
      { customerId: '101', startTime: T - 4_000 },
      { customerId: '102', startTime: T - 3_000 },
    ]);
    expect(read.counts).toMatchObject({
      requests: 1,
      newRecords: 6,
      notStored: 1,
      unidentified: 1,
      unmatched: 1,
      hints: 2,
    });
    expect(read.cursor.readTo).toBe(T);
  });

  it('catches a late record in the overlap and counts an overlapping one once', async () => {
    const { log, deps } = setUp();
    log.records = [record('a', T - 5_000, '+911')];
    const first = await readChangeFeed(deps, initialFeedCursor(T - 10_000, 0), T, options);
    expect(first.hints).toHaveLength(1);
    // Appears 30 s late, dated before the first read's end.
    log.records.push(record('late', T - 2_000, '+912'));
    const second = await readChangeFeed(deps, first.cursor, T + 30_000, options);
    expect(log.queries[1]).toMatchObject({ fromMs: T - 60_000, toMs: T + 30_000 });
    expect(second.hints).toEqual([{ customerId: '102', startTime: T - 2_000 }]);
    expect(second.counts).toMatchObject({ newRecords: 1, duplicates: 1 });
  });

  it('splits a full slice until every slice comes back short, and reads every record', async () => {
    const { log, deps, index } = setUp();
    for (let i = 0; i < 95; i++) {
      index.known.set(`+c${i}`, String(1000 + i));
      log.records.push(record(`r${i}`, T - 60_000 + i * 600, `+c${i}`));
    }
    const read = await readChangeFeed(deps, initialFeedCursor(T - 60_000, 0), T, options);
    expect(read.hints).toHaveLength(95);
    expect(read.counts.slicesSplit).toBeGreaterThan(0);
    expect(read.counts.saturatedSlices).toBe(0);
    // Every slice not split came back short.
    const queried = log.queries.map((q) => `${q.fromMs}-${q.toMs}`);
    expect(new Set(queried).size).toBe(queried.length);
  });

  it('reports a slice still full at the floor as saturated instead of splitting forever', async () => {
    const { log, deps } = setUp();
    for (let i = 0; i < 30; i++) log.records.push(record(`same${i}`, T - 500, '+911'));
    const read = await readChangeFeed(deps, initialFeedCursor(T - 2_000, 0), T, {
      ...options,
      lagMs: 0,
    });
    // [T-2s, T] full, then its halves: the older empty, the newer full at the 1 s floor.
    expect(read.counts).toMatchObject({ requests: 3, slicesSplit: 1, saturatedSlices: 1 });
    expect(read.cursor.readTo).toBe(T);
  });

  it('reads a busy window in about one request per limit records, as the log answers newest first', async () => {
    const { log, deps, index } = setUp();
    // 20 records a second over 90 s: 1,800 records, 10 per answer.
    for (let i = 0; i < 1_800; i++) {
      index.known.set(`+b${i}`, String(5000 + i));
      log.records.push(record(`b${i}`, T - 90_000 + i * 50, `+b${i}`));
    }
    const read = await readChangeFeed(deps, initialFeedCursor(T - 30_000, 0), T, {
      ...options,
      maxRequests: 300,
    });
    expect(read.cursor.readTo).toBe(T);
    expect(read.counts.newRecords).toBe(1_800);
    expect(read.counts.hints).toBe(1_800);
    // Each answer steps back 10 records (its last instant asked again): about 180 requests.
    expect(read.counts.requests).toBeLessThanOrEqual(200);
  });

  it('stops at its share of the quota and resumes where it stopped', async () => {
    const { log, deps, index } = setUp();
    for (let i = 0; i < 200; i++) {
      index.known.set(`+c${i}`, String(1000 + i));
      log.records.push(record(`r${i}`, T - 3_600_000 + i * 18_000, `+c${i}`));
    }
    const budget = feedRequestBudget(0.1, 2, 30);
    expect(budget).toBe(6);
    const capped = { ...options, maxRequests: budget, lagMs: 0 };
    let cursor = initialFeedCursor(T - 3_600_000, 0);
    const hinted = new Set<string>();
    for (let read = 0; read < 20 && cursor.readTo < T; read++) {
      const before = log.queries.length;
      const result = await readChangeFeed(deps, cursor, T, capped);
      expect(log.queries.length - before).toBeLessThanOrEqual(budget);
      for (const hint of result.hints) hinted.add(hint.customerId);
      cursor = result.cursor;
    }
    expect(cursor.readTo).toBe(T);
    expect(hinted.size).toBe(200);
  });

  it('a failed request keeps what was read before it; the cursor stops before the failed slice', async () => {
    const { log, deps } = setUp();
    log.failures = 1;
    log.records = [record('a', T - 5_000, '+911')];
    const read = await readChangeFeed(deps, initialFeedCursor(T - 10_000, 0), T, options);
    expect(read.outcome.kind).toBe('failed');
    expect(read.cursor.readTo).toBe(T - 10_000);
  });

  it('an unavailable log leaves the cursor as it was', async () => {
    const { log, deps } = setUp();
    log.unavailable = true;
    const cursor = initialFeedCursor(T - 10_000, 0);
    const read = await readChangeFeed(deps, cursor, T, options);
    expect(read.outcome).toEqual({ kind: 'unavailable', detail: 'HTTP 404' });
    expect(read.cursor).toBe(cursor);
  });

  it('asks once per event name when filtered', async () => {
    const { log, deps } = setUp();
    await readChangeFeed(deps, initialFeedCursor(T - 10_000, 0), T, {
      ...options,
      eventNames: ['A', 'B'],
    });
    expect(log.queries.map((q) => q.eventName)).toEqual(['A', 'B']);
  });

  it('learns, without hinting, a record whose event a poll already fetched', async () => {
    const { log, deps } = setUp();
    deps.learning.rememberFetched('103', [
      { eventId: 'req-1', uniqueId: null, additonalAttributes: {} } as never,
    ]);
    log.records = [record('req-1', T - 1_000, '+913')];
    const read = await readChangeFeed(deps, initialFeedCursor(T - 10_000, 0), T, options);
    expect(read.learned).toEqual([{ customerId: '103', identifier: '+913' }]);
    expect(read.hints).toEqual([]);
    expect(read.counts).toMatchObject({ learned: 1, unmatched: 0 });
  });
});
