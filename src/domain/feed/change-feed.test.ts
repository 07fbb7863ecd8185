import { describe, expect, it } from 'vitest';
import { PollerError } from '../errors.js';
import type { EventLogPage, FeedCursorStore, HintSink, Logger } from '../ports.js';
import { ChangeFeed } from './change-feed.js';
import type { FeedCursor } from './feed-cursor.js';
import { feedRecordKey } from './feed-cursor.js';
import { FeedLearning, type IdentifierPair } from './feed-learning.js';
import { IdentifierLookup } from './identifier-lookup.js';

/** The longest back-off of a failing feed. */
const FEED_MAX_BACKOFF_MS = 15 * 60_000;

/** Failures in a row after which the feed is degraded. */
const FEED_FAILURES_BEFORE_DEGRADED = 3;

const T = 1_800_000_000_000;

function setUp(answer: () => EventLogPage, lookupOf?: (logger: Logger) => IdentifierLookup) {
  let stored: FeedCursor | undefined;
  const learned: IdentifierPair[] = [];
  const warnings: string[] = [];
  const hinted: [string, number][] = [];
  const cursors: FeedCursorStore = {
    async loadFeedCursor() {
      return stored && structuredClone(stored);
    },
    async saveFeedCursor(next) {
      if ((stored?.version ?? 0) !== next.version) return 'conflict';
      stored = { ...next, version: next.version + 1 };
      return 'saved';
    },
  };
  const hints: HintSink = {
    async markHinted(customerId, startTime) {
      hinted.push([customerId, startTime]);
      return hinted.length === 1 ? 'due-now' : 'dropped';
    },
  };
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
  };
  let requests = 0;
  const feed = new ChangeFeed(
    {
      log: {
        async readEventLog() {
          requests += 1;
          return answer();
        },
      },
      index: {
        async resolve(values) {
          return new Map(values.filter((v) => v === '+911').map((v) => [v, '101']));
        },
        async learn(pairs) {
          learned.push(...pairs);
        },
      },
      learning: new FeedLearning(),
      cursors,
      hints,
      logger,
      lookup: lookupOf?.(logger),
    },
    {
      intervalMs: 30_000,
      lookBackMs: 3_600_000,
      limit: 10,
      lagMs: 60_000,
      maxRequests: 10,
      minSliceMs: 1_000,
      eventNames: [],
      identifierFields: ['customer'],
    },
  );
  return { feed, warnings, hinted, learned, requests: () => requests, stored: () => stored };
}

const page = (records: unknown[]): EventLogPage => ({
  kind: 'records',
  records: records as never,
  received: records.length,
  rejected: 0,
});

describe('the change feed', () => {
  it('reads back the look-back on its first start, marks hints and saves its cursor', async () => {
    const { feed, hinted, stored } = setUp(() =>
      page([
        {
          id: 'a',
          startTime: T - 1_000,
          status: 'EVENT_SUCCESS',
          inputRequest: '{"customer":"+911"}',
        },
      ]),
    );
    const run = await feed.runOnce(T);
    expect(run).toMatchObject({ kind: 'read', hintsDueNow: 1, hintsDropped: 0 });
    expect(hinted).toEqual([['101', T - 1_000]]);
    expect(stored()).toMatchObject({
      readTo: T,
      version: 1,
      recent: [[feedRecordKey('a'), T - 1_000]],
    });
  });

  it('degrades on a 404 with one warning and asks again only after the long back-off', async () => {
    const { feed, warnings, requests } = setUp(() => ({ kind: 'unavailable', detail: 'HTTP 404' }));
    expect(await feed.runOnce(T)).toEqual({ kind: 'unavailable', detail: 'HTTP 404' });
    for (let i = 1; i <= 20; i++) {
      expect((await feed.runOnce(T + i * 30_000)).kind).toBe('skipped');
    }
    expect(requests()).toBe(1);
    expect(feed.degraded).toBe(true);
    await feed.runOnce(T + FEED_MAX_BACKOFF_MS);
    expect(requests()).toBe(2);
    expect(warnings).toHaveLength(1);
  });

  it('a feed that keeps failing warns once, backs off, never throws, and recovers', async () => {
    let failing = true;
    const { feed, warnings, requests } = setUp(() => {
      if (failing) throw new PollerError('HTTP 503', 'later');
      return page([]);
    });
    let now = T;
    const runs = [];
    for (let i = 0; i < 200; i++) {
      runs.push(await feed.runOnce(now));
      now += 30_000;
    }
    expect(runs.filter((run) => run.kind === 'failed').length).toBeGreaterThanOrEqual(
      FEED_FAILURES_BEFORE_DEGRADED,
    );
    // 200 intervals (100 minutes) of failure: the back-off keeps the requests far fewer.
    expect(requests()).toBeLessThan(20);
    expect(warnings).toHaveLength(1);
    expect(feed.degraded).toBe(true);
    failing = false;
    now += FEED_MAX_BACKOFF_MS;
    expect((await feed.runOnce(now)).kind).toBe('read');
    expect(feed.degraded).toBe(false);
  });

  it('looks up the values the index does not know after saving its cursor: learns and hints a watched one', async () => {
    let savedBeforeLookup = false;
    const { feed, hinted, learned, stored } = setUp(
      () =>
        page([
          {
            id: 'a',
            startTime: T - 2_000,
            status: 'EVENT_SUCCESS',
            inputRequest: '{"customer":"+922"}',
          },
          {
            id: 'b',
            startTime: T - 1_000,
            status: 'EVENT_SUCCESS',
            inputRequest: '{"customer":"+933"}',
          },
        ]),
      (logger) =>
        new IdentifierLookup(
          {
            lookup: {
              async lookupCustomer(value) {
                savedBeforeLookup = stored() !== undefined;
                if (value === '+933') throw new PollerError('HTTP 503', 'later');
                return { kind: 'found', customerId: '202' };
              },
            },
            watched: { isWatched: async () => true },
            logger,
          },
          { perRead: 5, negativeMs: 86_400_000 },
        ),
    );
    const run = await feed.runOnce(T);
    expect(savedBeforeLookup).toBe(true);
    expect(run).toMatchObject({
      kind: 'read',
      hintsDueNow: 1,
      lookups: { made: 2, resolved: 1, negative: 0, failed: 1 },
    });
    expect(learned).toEqual([{ customerId: '202', identifier: '+922' }]);
    expect(hinted).toEqual([['202', T - 2_000]]);
  });
});
