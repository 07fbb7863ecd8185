// The change feed's reader with the real Capillary client against the double over loopback:
// the documented record shape and the log's quirks, through the same quota, auth and retries.
import { describe, expect, it } from 'vitest';
import { CapillaryEventLogError } from '../../src/adapters/capillary/capillary-errors.js';
import { ChangeFeed } from '../../src/domain/feed/change-feed.js';
import { type FeedCursor, initialFeedCursor } from '../../src/domain/feed/feed-cursor.js';
import { FeedLearning } from '../../src/domain/feed/feed-learning.js';
import { type ChangeFeedOptions, readChangeFeed } from '../../src/domain/feed/read-change-feed.js';
import type { HintOutcome, Logger, QuotaGate } from '../../src/domain/ports.js';
import { useCapillaryDouble } from '../support/capillary-client-harness.js';

const { double, client } = await useCapillaryDouble();

const T = 1_800_000_000_000;
const WATCHED = new Map([
  ['918088369835', '564590100'],
  ['919970388310', '564590101'],
]);
const index = {
  async resolve(values: readonly string[]) {
    return new Map(values.filter((v) => WATCHED.has(v)).map((v) => [v, WATCHED.get(v) as string]));
  },
  async learn() {},
};
const options: ChangeFeedOptions = {
  limit: 5,
  lagMs: 120_000,
  maxRequests: 50,
  minSliceMs: 1_000,
  eventNames: [],
  identifierFields: ['customer'],
};

/** A record as the reference documents it, `inputRequest` a JSON string. */
function record(id: string, startTime: number, customer: string, status = 'EVENT_SUCCESS') {
  return {
    startTime,
    responseTime: 408,
    orgId: 100737,
    status,
    eventName: 'TestBE-Rutuja',
    inputRequest: JSON.stringify({ event_name: 'TestBE-Rutuja', String: 'naman_doc', customer }),
    id,
    webhookId: '67b62dffb7f5337f8a8237970bd0a467',
    parentOrgId: -1,
    message: 'Event processed successfully',
  };
}

class CountingGate implements QuotaGate {
  taken = 0;
  async take() {
    this.taken += 1;
  }
  pauseFor() {}
}

describe('the change feed on the Capillary double', () => {
  it('asks GET /v2/events/logs with epoch-ms dates and the limit, through the quota gate and auth', async () => {
    double.setAuth({ kind: 'basic', username: 'till', password: 'secret' });
    double.setEventLog([record('a', T - 1_000, '918088369835')]);
    const quota = new CountingGate();
    const { client: feedClient } = client({
      quota,
      credentials: { kind: 'basic', username: 'till', password: 'secret' },
    });
    const read = await readChangeFeed(
      { log: feedClient, index, learning: new FeedLearning() },
      initialFeedCursor(T - 60_000, 0),
      T,
      options,
    );
    const [request] = double.eventLogRequests();
    expect(request?.path).toBe('/v2/events/logs');
    expect(Object.fromEntries(request?.query ?? [])).toEqual({
      from_date: String(T - 180_000),
      to_date: String(T),
      limit: '5',
    });
    expect(request?.headers.authorization).toMatch(/^Basic /);
    expect(quota.taken).toBe(1);
    expect(read.hints).toEqual([{ customerId: '564590100', startTime: T - 1_000 }]);
  });

  it('catches a late record in the overlap, and counts a duplicate once', async () => {
    double.setEventLog([
      record('a', T - 5_000, '918088369835'),
      record('a', T - 5_000, '918088369835'),
    ]);
    const { client: feedClient } = client();
    const deps = { log: feedClient, index, learning: new FeedLearning() };
    const first = await readChangeFeed(deps, initialFeedCursor(T - 60_000, 0), T, options);
    expect(first.hints).toHaveLength(1);
    expect(first.counts).toMatchObject({ newRecords: 1, duplicates: 1 });

    double.appendEventLog([record('late', T - 30_000, '919970388310')]);
    const second = await readChangeFeed(deps, first.cursor, T + 30_000, options);
    expect(second.hints).toEqual([{ customerId: '564590101', startTime: T - 30_000 }]);
    // 'a' again, twice: in the overlap, and repeated by the log itself.
    expect(second.counts).toMatchObject({ newRecords: 1, duplicates: 2 });
  });

  it('skips records not stored and a malformed inputRequest, counting them', async () => {
    double.setEventLog([
      record('ok', T - 4_000, '918088369835'),
      record('refused', T - 3_000, '919970388310', 'NO_CUSTOMER_DETAILS_PASSED'),
      { ...record('broken', T - 2_000, '919970388310'), inputRequest: '{"customer": 9199' },
      record('stranger', T - 1_000, '910000000000'),
    ]);
    const { client: feedClient } = client();
    const read = await readChangeFeed(
      { log: feedClient, index, learning: new FeedLearning() },
      initialFeedCursor(T - 60_000, 0),
      T,
      options,
    );
    expect(read.hints).toEqual([{ customerId: '564590100', startTime: T - 4_000 }]);
    expect(read.counts).toMatchObject({ notStored: 1, unidentified: 1, unmatched: 1 });
  });

  it('asks again for the older rest of every full answer until every slice comes back short, and reads every record', async () => {
    const records = Array.from({ length: 23 }, (_, i) =>
      record(`r${i}`, T - 100_000 + i * 4_000, i % 2 === 0 ? '918088369835' : '919970388310'),
    );
    double.setEventLog(records);
    const { client: feedClient } = client();
    const read = await readChangeFeed(
      { log: feedClient, index, learning: new FeedLearning() },
      initialFeedCursor(T, 100_000),
      T,
      { ...options, lagMs: 0 },
    );
    expect(read.counts.newRecords).toBe(23);
    expect(read.counts.slicesSplit).toBeGreaterThan(0);
    expect(read.counts.saturatedSlices).toBe(0);
    // The log answers newest first: a full answer holds everything from its oldest instant on, so
    // the rest asked is from the slice's start to that instant (included), one answer at a time.
    const asked = double
      .eventLogRequests()
      .map((r) => [Number(r.query.get('from_date')), Number(r.query.get('to_date'))] as const);
    const key = (from: number, to: number) => `${from}-${to}`;
    const askedKeys = new Set(asked.map(([from, to]) => key(from, to)));
    for (const [from, to] of asked) {
      const inSlice = records
        .filter((r) => r.startTime >= from && r.startTime <= to)
        .sort((x, y) => y.startTime - x.startTime);
      if (inSlice.length < options.limit) continue;
      const oldestAnswered = inSlice[options.limit - 1]?.startTime as number;
      expect(askedKeys).toContain(key(from, oldestAnswered + 1));
    }
    expect(asked.length).toBeLessThanOrEqual(Math.ceil(23 / (options.limit - 1)) + 1);
    expect(read.hints.map((h) => h.customerId).sort()).toEqual(['564590100', '564590101']);
  });

  it('a 404 degrades the feed with one warning, and it does not ask again for a long while', async () => {
    // No log set: the org has none.
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (m) => warnings.push(m),
      error: (m) => warnings.push(m),
    };
    let stored: FeedCursor | undefined;
    const hints: [string, number][] = [];
    const { client: feedClient } = client();
    const feed = new ChangeFeed(
      {
        log: feedClient,
        index,
        learning: new FeedLearning(),
        cursors: {
          loadFeedCursor: async () => stored,
          saveFeedCursor: async (next) => {
            stored = next;
            return 'saved';
          },
        },
        hints: {
          markHinted: async (customerId, startTime): Promise<HintOutcome> => {
            hints.push([customerId, startTime]);
            return 'due-now';
          },
        },
        logger,
      },
      { ...options, intervalMs: 30_000, lookBackMs: 3_600_000 },
    );
    for (let i = 0; i < 10; i++) await feed.runOnce(T + i * 30_000);
    expect(double.eventLogRequests()).toHaveLength(1);
    expect(warnings).toEqual([
      'the org-wide event log is unavailable: customers are polled by schedule only',
    ]);
    expect(feed.degraded).toBe(true);
    expect(stored).toBeUndefined();
  });

  it('retries a throttled log request, then gives a typed error after its attempts', async () => {
    double.setEventLog([record('a', T - 1_000, '918088369835')]);
    double.failNextLog({ kind: 'throttle' }, 1);
    const { client: feedClient } = client();
    const page = await feedClient.readEventLog({ fromMs: T - 10_000, toMs: T, limit: 5 });
    expect(page).toMatchObject({ kind: 'records', received: 1 });
    double.failNextLog({ kind: 'server-error' }, 4);
    const error = await feedClient
      .readEventLog({ fromMs: T - 10_000, toMs: T, limit: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CapillaryEventLogError);
    expect((error as CapillaryEventLogError).failure).toBe('server');
    expect((error as CapillaryEventLogError).attempts).toBe(4);
  });
});
