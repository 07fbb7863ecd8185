import type { TickSummary } from '../domain/schedule/schedule-tick.js';
import { METRIC_UNITS, type MetricDatum, MetricName } from './metric-names.js';

/**
 * The metrics one scheduler tick reports: what it claimed, what it could not claim or read, what
 * stays due, how stale the watchlist is, and that it ran (`SweepCompleted`, which the no-scheduler-run alarm watches).
 */
export function tickMetrics(summary: TickSummary): MetricDatum[] {
  const values: [MetricName, number | undefined][] = [
    [MetricName.CustomersClaimed, summary.claimed],
    [MetricName.CustomersDeferred, summary.deferred + summary.notQueued.length],
    [MetricName.CustomersOverdue, summary.overdue],
    [MetricName.ClaimErrors, summary.claimErrors],
    [MetricName.CorruptItems, summary.corruptItems],
    // 0 when nothing was due: nothing is stale, and the graph's data never goes missing.
    [MetricName.OldestStalenessSeconds, summary.oldestStalenessSeconds ?? 0],
    [MetricName.SweepDuration, summary.durationMs],
    [MetricName.SweepCompleted, 1],
  ];
  return values
    .filter((entry): entry is [MetricName, number] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, unit: METRIC_UNITS[name], value }));
}
