import { describe, expect, it } from 'vitest';
import type { FeedReadCounts } from '../domain/feed/read-change-feed.js';
import { feedMetrics } from './feed-metrics.js';

const counts: FeedReadCounts = {
  requests: 3,
  records: 12,
  newRecords: 10,
  duplicates: 2,
  rejectedRecords: 0,
  notStored: 1,
  unidentified: 0,
  unmatched: 4,
  hints: 5,
  learned: 0,
  slicesSplit: 1,
  saturatedSlices: 0,
  lagMs: 31_400,
};

const byName = (data: { name: string; value: number }[]) =>
  Object.fromEntries(data.map((datum) => [datum.name, datum.value]));

describe('feedMetrics', () => {
  it('reports lag, records, hints, unmatched records and splits of a read', () => {
    expect(byName(feedMetrics({ kind: 'read', counts, hintsDueNow: 4, hintsDropped: 1 }))).toEqual({
      FeedFailures: 0,
      FeedHints: 4,
      FeedRecordsRead: 12,
      FeedUnmatchedRecords: 4,
      FeedSlicesSplit: 1,
      FeedLagSeconds: 31,
    });
  });

  it('reports the customer lookups of a read only when the lookup is on', () => {
    const lookups = { made: 5, resolved: 1, negative: 3, failed: 1, remembered: 7, deferred: 2 };
    expect(
      byName(feedMetrics({ kind: 'read', counts, hintsDueNow: 4, hintsDropped: 1, lookups })),
    ).toMatchObject({
      FeedLookups: 5,
      FeedLookupsResolved: 1,
      FeedLookupsNegative: 3,
      FeedLookupsFailed: 1,
    });
    const off = byName(feedMetrics({ kind: 'read', counts, hintsDueNow: 4, hintsDropped: 1 }));
    expect(Object.keys(off).filter((name) => name.startsWith('FeedLookups'))).toEqual([]);
  });

  it('counts a failure, and reports no lag for it (the stalled alarm sees it missing)', () => {
    const failed = byName(feedMetrics({ kind: 'failed', reason: 'HTTP 503', counts }));
    expect(failed).toMatchObject({ FeedFailures: 1, FeedHints: 0, FeedRecordsRead: 12 });
    expect(failed.FeedLagSeconds).toBeUndefined();
    expect(byName(feedMetrics({ kind: 'unavailable', detail: '404' }))).toEqual({
      FeedFailures: 1,
      FeedHints: 0,
    });
    expect(feedMetrics({ kind: 'skipped', until: 0 })).toEqual([]);
  });
});
