import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { PollerWebhook } from './delivery/webhook-props.js';

export type CapillaryAuth = 'basic' | 'oauth';
export type PsiMode = 'mask' | 'drop' | 'pass';
export type PollerLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

/** One alert: a rule on the poller's events that notifies people through SNS. */
export interface PollerAlert {
  /**
   * Names the rule, the topic and the construct: 1 to 64 letters, digits or `-`.
   * @default - none, required
   */
  readonly name: string;
  /**
   * The Capillary event names (entry `detail-type`s) that trigger the alert.
   * @default - none, required (at least one)
   */
  readonly eventNames: readonly string[];
  /**
   * An EventBridge content filter on the entry's `detail`, e.g. `{ customerId: ['123'] }` or
   * `{ attributes: { amount: [{ numeric: ['>=', 1000] }] } }`.
   * @default - no detail filter: every event with those names
   */
  readonly detail?: Record<string, unknown>;
  /**
   * Email addresses subscribed to the alert's topic (each must confirm the subscription).
   * @default - none (then `topic` is required)
   */
  readonly email?: readonly string[];
  /**
   * An existing topic to notify instead of a new one (its key policy, if encrypted, must let
   * `events.amazonaws.com` use the key).
   * @default - a new topic, encrypted with the construct's key
   */
  readonly topic?: sns.ITopic;
  /**
   * Entries of `detail.attributes` to print in the message (at most 10).
   * @default - none
   */
  readonly attributes?: readonly string[];
  /**
   * The rule's description.
   * @default - "Alert <name>: <event names>"
   */
  readonly description?: string;
  /**
   * Whether the rule is enabled.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Whether events replayed from the archive raise the alert too.
   * @default false
   */
  readonly onReplay?: boolean;
}

/** Thresholds of the operational alarms. */
export interface PollerAlarmThresholds {
  /**
   * Failed customer polls in 5 minutes that raise the alarm.
   * @default 5
   */
  readonly pollErrors?: number;
  /**
   * Raise the alarm when no sweep has completed for this long (whole minutes, at least twice the
   * poll interval).
   * @default - 10 minutes, or 3 poll intervals when that is longer
   */
  readonly noSweepFor?: Duration;
  /**
   * Raise the alarm when the publication lag stays above this for 15 minutes.
   * @default Duration.minutes(15)
   */
  readonly lag?: Duration;
  /**
   * Raise the alarm when the slowest invocation stays above this share of the timeout for 15
   * minutes.
   * @default 90
   */
  readonly durationPercentOfTimeout?: number;
}

export interface CapillaryEventPollerProps {
  /**
   * The Capillary API host of your cluster, https only, e.g. `https://eu.api.capillarytech.com`.
   * @default - none, required
   */
  readonly capillaryBaseUrl: string;
  /**
   * How the poller authenticates: `basic` (username and password) or `oauth` (client key and
   * secret). Decides the JSON shape the secret holds.
   * @default 'basic'
   */
  readonly capillaryAuth?: CapillaryAuth;
  /**
   * An existing secret holding the Capillary credentials as JSON (see `capillaryAuth`).
   * @default - a new secret holding an empty template of the right shape, to fill in after deploy
   */
  readonly capillarySecret?: secretsmanager.ISecret;
  /**
   * The events request path; `{customerId}` is replaced by the URL-encoded customer id.
   * @default - the runtime's default, `/v2/events/event_data/?userId={customerId}`
   */
  readonly capillaryEventsPath?: string;
  /**
   * The bus events are put on.
   * @default - a new custom event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * The `source` of every entry. Must not start with `aws.`.
   * @default 'capillary.events'
   */
  readonly eventSource?: string;
  /**
   * How long the archive of this poller's events keeps them for replay (whole days).
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
  /**
   * EventBridge's own logs of the bus (its `LogConfig`), sent to a CloudWatch log group kept
   * `logRetention`: `ERROR` (failed target calls), `INFO` (and each rule's matches and target
   * calls) or `TRACE` (every step); `includeDetail` adds the event and the target's request and
   * answer. Only for a bus created here. Charged as CloudWatch Logs ingestion: see docs/webhooks.md.
   * @default - no bus logs
   */
  readonly busLogs?: PollerBusLogs;
  /**
   * The table of watched customers, their schedules and cursors. An existing table needs the
   * `due` index (`npm run cli -- init` adds it) and must be imported with
   * `Table.fromTableAttributes(this, id, { tableName, globalIndexes: ['due'] })` so the scheduler
   * may query it.
   * @default - a new on-demand table with point-in-time recovery and the `due` index, retained on
   * stack deletion
   */
  readonly table?: dynamodb.ITable;
  /**
   * What happens to the table this construct creates when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * How often the scheduler runs (whole minutes), and the shortest interval between two polls of
   * one customer (`POLL_INTERVAL_SECONDS`): a customer with new events is polled again this soon.
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;
  /**
   * The longest interval between two polls of one customer (`MAX_POLL_INTERVAL_SECONDS`), the
   * staleness bound: each idle poll lengthens a customer's interval up to this. Equal to
   * `pollInterval` turns the activity tiers off. Whole minutes, at most 7 days.
   * @default Duration.hours(1), or `pollInterval` when that is longer
   */
  readonly maxPollInterval?: Duration;
  /**
   * Whether the schedule is enabled (disable it to deploy before the secret is filled in).
   * @default true
   */
  readonly scheduleEnabled?: boolean;
  /**
   * The worker's Lambda timeout; must be shorter than `pollInterval` and than `claimDuration`.
   * A worker polls the customers of one work-queue message and stops starting customers before it
   * runs out; their claims expire and a later tick claims them again.
   * @default - `pollInterval` less 10 seconds, at most 14 minutes (50 seconds for 1 minute)
   */
  readonly timeout?: Duration;
  /**
   * The worker's Lambda memory in MB (the scheduler has 256 MB).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Requests per second to Capillary (`CAPILLARY_RPS`): the budget every poller on the table
   * shares, all workers and any CLI `poll` together. The scheduler claims at most this many
   * customers per second of `pollInterval`.
   * @default 10
   */
  readonly requestsPerSecond?: number;
  /**
   * Customers one worker polls at the same time, at most.
   * @default 8
   */
  readonly pollConcurrency?: number;
  /**
   * Worker functions running at once: the SQS event source's maximum concurrency (2 to 1000).
   * More workers drain a tick's work sooner; the shared `requestsPerSecond` still bounds them.
   * @default 4
   */
  readonly workers?: number;
  /**
   * How long a claim holds a customer (`CLAIM_SECONDS`): no other poller polls it meanwhile, and
   * its holder publishes nothing after it. Longer than the worker `timeout`, so a worker is gone
   * before the claims of its message expire. Whole seconds, 10 s to 15 minutes.
   * @default - the worker timeout plus 1 minute, at least 2 minutes
   */
  readonly claimDuration?: Duration;
  /**
   * The most customers one tick claims (`SWEEP_MAX_POLLS`), below `requestsPerSecond` ×
   * `pollInterval`.
   * @default - no cap beyond the quota
   */
  readonly sweepMaxPolls?: number;
  /**
   * Keeps 0.1.0's `watchlist` index on the table this construct creates. CloudFormation can add or
   * remove only one index per update: upgrading a 0.1.0 stack takes one deploy with `true` (adds
   * `due`), then one without (removes `watchlist`). See docs/deploying.md.
   * @default false
   */
  readonly keepWatchlistIndex?: boolean;
  /**
   * Recently published events remembered per customer for de-duplication.
   * @default 200
   */
  readonly seenCapacity?: number;
  /**
   * What happens to attributes Capillary flags as PSI.
   * @default 'mask'
   */
  readonly psiMode?: PsiMode;
  /**
   * The handler's log level.
   * @default 'INFO'
   */
  readonly logLevel?: PollerLogLevel;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The Powertools service name: the `service` dimension of every metric. Give each poller in an
   * account its own when you deploy more than one.
   * @default 'capillary-event-poller'
   */
  readonly serviceName?: string;
  /**
   * The topic the operational alarms notify.
   * @default - a new topic, encrypted with the construct's key
   */
  readonly opsTopic?: sns.ITopic;
  /**
   * Email addresses subscribed to the ops topic.
   * @default - none
   */
  readonly opsEmails?: readonly string[];
  /**
   * Thresholds of the operational alarms.
   * @default - see each threshold
   */
  readonly alarmThresholds?: PollerAlarmThresholds;
  /**
   * Alerts on event names, each a rule and an SNS topic.
   * @default - none
   */
  readonly alerts?: readonly PollerAlert[];
  /**
   * Webhooks: events POSTed to HTTPS endpoints by EventBridge API destinations (see
   * infra/webhook-props.ts and docs/deploying.md).
   * @default - none
   */
  readonly webhooks?: readonly PollerWebhook[];
  /**
   * Whether to create a CloudWatch dashboard of the poller's metrics.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Whether to register the detail JSON Schema in a new EventBridge schema registry.
   * @default true
   */
  readonly schemaRegistry?: boolean;
  /**
   * Whether to run the change feed: a function (reserved concurrency 1) that reads Capillary's
   * org-wide event log every minute and makes the watched customers named there due now, and the
   * secret of the key their identifiers are hashed under. An org without the log degrades to
   * schedule-only polling (and the FeedStalled alarm says so).
   * @default true
   */
  readonly changeFeed?: boolean;
  /**
   * With a healthy change feed, the staleness bound of a customer whose identifier the feed knows
   * (`CHANGE_FEED_BACKSTOP_SECONDS`): its idle interval doubles up to this instead of
   * `maxPollInterval`, found off the due index by a walk of the table (a pass every quarter of
   * this). While the feed is down, the walk claims them by `maxPollInterval` again, within a pass.
   * @default Duration.hours(24)
   */
  readonly changeFeedBackstop?: Duration;
  /**
   * The most of a tick's claims that customers hinted by the change feed take, before the
   * schedule (`CHANGE_FEED_HINT_MAX_SHARE`), so hints never crowd out the staleness bound.
   * @default 0.5
   */
  readonly changeFeedHintShare?: number;
}

/** What `onEvent` routes where. */
export interface OnPollerEventOptions {
  /** The Capillary event names (entry `detail-type`s) to match. */
  readonly eventNames: readonly string[];
  /** Where matching entries go. */
  readonly target: events.IRuleTarget;
  /**
   * A content filter on the entry's `detail`.
   * @default - none
   */
  readonly detail?: Record<string, unknown>;
  /**
   * The rule's description.
   * @default - names the event names
   */
  readonly description?: string;
  /**
   * Whether events replayed from the archive reach the target too.
   * @default false
   */
  readonly onReplay?: boolean;
}

/** The bus's delivery logs: how much EventBridge logs, and whether with the events' detail. */
export interface PollerBusLogs {
  readonly level: 'ERROR' | 'INFO' | 'TRACE';
  /**
   * Whether records carry the event and the target's request and answer (personal data too).
   * @default false
   */
  readonly includeDetail?: boolean;
}
