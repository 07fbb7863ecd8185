import type { SweepSummary } from '../domain/poll/run-sweep.js';
import { METRIC_UNITS, MetricName, type PollerMetricUnit } from './metric-names.js';

export interface MetricDatum {
  name: MetricName;
  unit: PollerMetricUnit;
  value: number;
}

/**
 * Requests sent as a share of what `CAPILLARY_RPS` allowed over the sweep, in percent; 0 when
 * the sweep was too short to measure or requests are not counted.
 */
function quotaUsePercent(summary: SweepSummary): number {
  const { requestsSent, requestBudget } = summary;
  if (requestsSent === undefined || requestBudget === undefined || requestBudget <= 0) return 0;
  return Math.round((1000 * requestsSent) / requestBudget) / 10;
}

/** The metrics one sweep reports. Lag only exists when something was published. */
export function sweepMetrics(summary: SweepSummary): MetricDatum[] {
  // A customer with unpublished events is counted under EventsUnpublished, not as a poll error.
  const withUnpublished = new Set(summary.unpublished.map((event) => event.customerId));
  const pollErrors = summary.failures.filter(
    (failure) => !withUnpublished.has(failure.customerId),
  ).length;
  const values: [MetricName, number | undefined][] = [
    [MetricName.CustomersPolled, summary.polled],
    [MetricName.PollErrors, pollErrors],
    [MetricName.EventsPublished, summary.published],
    [MetricName.EventsParked, summary.parked],
    [MetricName.EventsUnpublished, summary.unpublished.length],
    [MetricName.CustomersDeferred, summary.deferred],
    [MetricName.LagSeconds, summary.maxLagMs === undefined ? undefined : summary.maxLagMs / 1000],
    [MetricName.SweepDuration, summary.durationMs],
    [MetricName.SweepCompleted, 1],
    [MetricName.CustomersClaimed, summary.claimed],
    [MetricName.ClaimsLost, summary.claimsLost],
    [MetricName.CustomersOverdue, summary.overdue],
    // 0 when nothing was due: nothing is stale, and the alarm's data never goes missing.
    [MetricName.OldestStalenessSeconds, summary.oldestStalenessSeconds ?? 0],
    [MetricName.CoverageGaps, summary.coverageGaps],
    [MetricName.CapillaryRequests, summary.requestsSent ?? 0],
    [MetricName.QuotaUse, quotaUsePercent(summary)],
    [MetricName.CursorsOverBudget, summary.cursorsOverBudget ?? 0],
  ];
  return values
    .filter((entry): entry is [MetricName, number] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, unit: METRIC_UNITS[name], value }));
}
