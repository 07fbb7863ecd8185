import type { WorkSummary } from '../domain/poll/poll-work.js';
import { METRIC_UNITS, type MetricDatum, MetricName } from './metric-names.js';

/**
 * Requests sent as a share of what `CAPILLARY_RPS` allowed over the work, in percent; 0 when
 * the work was too short to measure or requests are not counted.
 */
function quotaUsePercent(summary: WorkSummary): number {
  const { requestsSent, requestBudget } = summary;
  if (requestsSent === undefined || requestBudget === undefined || requestBudget <= 0) return 0;
  return Math.round((1000 * requestsSent) / requestBudget) / 10;
}

/**
 * The metrics one worker's message reports: its polls. What was claimed, what stays due and how
 * stale the watchlist is are the tick's (`tickMetrics`). Lag only exists when something was
 * published.
 */
export function workMetrics(summary: WorkSummary): MetricDatum[] {
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
    [MetricName.ClaimsLost, summary.claimsLost],
    [MetricName.CoverageGaps, summary.coverageGaps],
    [MetricName.CapillaryRequests, summary.requestsSent ?? 0],
    [MetricName.QuotaUse, quotaUsePercent(summary)],
    [MetricName.CursorsOverBudget, summary.cursorsOverBudget],
  ];
  return values
    .filter((entry): entry is [MetricName, number] => entry[1] !== undefined)
    .map(([name, value]) => ({ name, unit: METRIC_UNITS[name], value }));
}
