import type { FeedRun } from '../domain/feed/change-feed.js';
import { METRIC_UNITS, type MetricDatum, MetricName } from './metric-names.js';

/**
 * The metrics of one change feed read. A read that was skipped (backing off) reports nothing, so
 * `FeedLagSeconds` goes missing while the feed is down: the `FeedStalled` alarm watches that.
 */
export function feedMetrics(run: FeedRun): MetricDatum[] {
  if (run.kind === 'skipped') return [];
  const counts = run.kind === 'read' || run.kind === 'failed' ? run.counts : undefined;
  const values: [MetricName, number][] = [
    [MetricName.FeedFailures, run.kind === 'read' ? 0 : 1],
    [MetricName.FeedHints, run.kind === 'read' ? run.hintsDueNow : 0],
  ];
  if (counts !== undefined) {
    values.push(
      [MetricName.FeedRecordsRead, counts.records],
      [MetricName.FeedUnmatchedRecords, counts.unmatched],
      [MetricName.FeedSlicesSplit, counts.slicesSplit],
    );
    // Only a read that reached the cursor's end says how far behind the feed is.
    if (run.kind === 'read') {
      values.push([MetricName.FeedLagSeconds, Math.round(counts.lagMs / 1000)]);
    }
  }
  // Only with CHANGE_FEED_LOOKUP=on: an absent metric says the lookup is off, a 0 that it is idle.
  if (run.kind === 'read' && run.lookups !== undefined) {
    values.push(
      [MetricName.FeedLookups, run.lookups.made],
      [MetricName.FeedLookupsResolved, run.lookups.resolved],
      [MetricName.FeedLookupsNegative, run.lookups.negative],
      [MetricName.FeedLookupsFailed, run.lookups.failed],
    );
  }
  return values.map(([name, value]) => ({ name, unit: METRIC_UNITS[name], value }));
}
