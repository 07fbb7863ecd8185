/**
 * The poller's CloudWatch metrics (EMF via Powertools Metrics): one source of truth for the handler
 * that emits them and the CDK construct that alarms and graphs them, so the two cannot drift.
 */

/** `POWERTOOLS_METRICS_NAMESPACE`. */
export const METRICS_NAMESPACE = 'CapillaryEventPoller';

/** `POWERTOOLS_SERVICE_NAME`, emitted by Powertools as the `service` dimension of every metric. */
export const DEFAULT_SERVICE_NAME = 'capillary-event-poller';

/** The dimension Powertools adds from the service name. */
export const SERVICE_DIMENSION = 'service';

export const MetricName = {
  /** Customers whose events were fetched in the sweep (Count). */
  CustomersPolled: 'CustomersPolled',
  /** Customers whose poll failed (transport, HTTP status, malformed body) (Count). */
  PollErrors: 'PollErrors',
  /** Entries accepted by PutEvents (Count). */
  EventsPublished: 'EventsPublished',
  /** Events that could never be published and were parked on the dead-letter queue (Count). */
  EventsParked: 'EventsParked',
  /** Events neither published nor parked; retried by the next sweep (Count). */
  EventsUnpublished: 'EventsUnpublished',
  /** Customers left for the next sweep because the invocation was running out of time (Count). */
  CustomersDeferred: 'CustomersDeferred',
  /** The largest delay between an event's date and its publication in the sweep (Seconds). */
  LagSeconds: 'LagSeconds',
  /** How long the sweep took (Milliseconds). */
  SweepDuration: 'SweepDuration',
  /** 1 per finished sweep (Count). */
  SweepCompleted: 'SweepCompleted',
  /** Customers claimed for polling (Count). */
  CustomersClaimed: 'CustomersClaimed',
  /** Claims that expired or were taken over before the poll could publish (Count). */
  ClaimsLost: 'ClaimsLost',
  /** Watched customers not polled for longer than MAX_POLL_INTERVAL_SECONDS (Count). */
  CustomersOverdue: 'CustomersOverdue',
  /** The longest time since an active customer's last poll (Seconds). */
  OldestStalenessSeconds: 'OldestStalenessSeconds',
  /** Polls whose window shared no id with the seen set and was all newer: events may be lost (Count). */
  CoverageGaps: 'CoverageGaps',
  /** Capillary requests sent (Count). */
  CapillaryRequests: 'CapillaryRequests',
  /** Capillary requests sent as a share of CAPILLARY_RPS over the same time (Percent). */
  QuotaUse: 'QuotaUse',
  /**
   * Customers whose window alone did not fit the cursor's byte budget: the oldest ids still in the
   * window were evicted, so late events dated before them are not emitted (Count).
   */
  CursorsOverBudget: 'CursorsOverBudget',
  /**
   * Due customers whose claim failed (throttled beyond the tick's time, a DynamoDB error): skipped
   * by the tick, which went on with the others; the logs name them (Count).
   */
  ClaimErrors: 'ClaimErrors',
  /**
   * Schedule items that could not be read (a field missing or of the wrong type): rebuilt from
   * the cursor item and the defaults, and polled; the logs name the customer and the fields (Count).
   */
  CorruptItems: 'CorruptItems',
  /** How far behind now the change feed has read the org-wide event log (Seconds). */
  FeedLagSeconds: 'FeedLagSeconds',
  /** Event log records the change feed read, duplicates included (Count). */
  FeedRecordsRead: 'FeedRecordsRead',
  /** Watched customers a change feed read made due now (Count). */
  FeedHints: 'FeedHints',
  /** Event log records whose identifier no watched customer is known by (Count). */
  FeedUnmatchedRecords: 'FeedUnmatchedRecords',
  /** Event log time slices split because a response was full (Count). */
  FeedSlicesSplit: 'FeedSlicesSplit',
  /** Change feed reads that failed, or found the log unavailable (Count). */
  FeedFailures: 'FeedFailures',
  /** Customer lookups the change feed sent for values no watched customer is known by (Count). */
  FeedLookups: 'FeedLookups',
  /** Looked-up values that named a watched customer: learned and hinted (Count). */
  FeedLookupsResolved: 'FeedLookupsResolved',
  /** Looked-up values that named no customer, or one not watched: not asked again for a while (Count). */
  FeedLookupsNegative: 'FeedLookupsNegative',
  /** Customer lookups that failed (transport, status, a malformed answer) (Count). */
  FeedLookupsFailed: 'FeedLookupsFailed',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** Units as Powertools' `MetricUnit` spells them (and CloudWatch does). */
export type PollerMetricUnit = 'Count' | 'Seconds' | 'Milliseconds' | 'Percent';

/** One metric's value, as a handler hands it to Powertools. */
export interface MetricDatum {
  name: MetricName;
  unit: PollerMetricUnit;
  value: number;
}

export const METRIC_UNITS: Readonly<Record<MetricName, PollerMetricUnit>> = {
  CustomersPolled: 'Count',
  PollErrors: 'Count',
  EventsPublished: 'Count',
  EventsParked: 'Count',
  EventsUnpublished: 'Count',
  CustomersDeferred: 'Count',
  LagSeconds: 'Seconds',
  SweepDuration: 'Milliseconds',
  SweepCompleted: 'Count',
  CustomersClaimed: 'Count',
  ClaimsLost: 'Count',
  CustomersOverdue: 'Count',
  OldestStalenessSeconds: 'Seconds',
  CoverageGaps: 'Count',
  CapillaryRequests: 'Count',
  QuotaUse: 'Percent',
  CursorsOverBudget: 'Count',
  ClaimErrors: 'Count',
  CorruptItems: 'Count',
  FeedLagSeconds: 'Seconds',
  FeedRecordsRead: 'Count',
  FeedHints: 'Count',
  FeedUnmatchedRecords: 'Count',
  FeedSlicesSplit: 'Count',
  FeedFailures: 'Count',
  FeedLookups: 'Count',
  FeedLookupsResolved: 'Count',
  FeedLookupsNegative: 'Count',
  FeedLookupsFailed: 'Count',
};
