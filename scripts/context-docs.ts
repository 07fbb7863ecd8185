// What each CDK context key does, for the context table of docs/deploying.md. A key that reaches
// the function as a setting takes its default and range from the settings schema; the others
// state the construct's own, checked against the construct by test/docs/context-defaults.test.ts.
import type { ContextKey } from '../infra/context.js';
import { LIMITS } from '../infra/props-validation.js';
import { SCALE_OUT_LIMITS } from '../infra/scale-out.js';
import { NUMBER_RULES, type SettingName } from '../src/config/setting-schemas.js';

export interface ContextDoc {
  /** The setting whose default and range this key takes (`range`: its range only). */
  readonly setting?: SettingName;
  readonly range?: SettingName;
  readonly default?: string;
  readonly allowed?: string;
  readonly meaning: string;
}

const minutes = (seconds: number) => seconds / 60;

/** In the order of the table. */
export const CONTEXT_DOCS: Record<ContextKey, ContextDoc> = {
  capillaryBaseUrl: {
    default: 'cdk.json', // replaced by cdk.json's value
    allowed: '`https://` URL, no query',
    meaning: 'Capillary API host, e.g. `https://eu.api.capillarytech.com`',
  },
  capillaryAuth: {
    setting: 'CAPILLARY_AUTH',
    meaning: '`basic` (till username and password) or `oauth` (client key and secret)',
  },
  capillarySecretArn: {
    default: 'new secret',
    allowed: 'complete ARN, ending `-XXXXXX`',
    meaning: 'an existing credentials secret',
  },
  capillaryEventsPath: {
    setting: 'CAPILLARY_EVENTS_PATH',
    meaning: 'request path, `{customerId}` is replaced',
  },
  eventBusArn: {
    default: 'new bus',
    allowed: 'an event bus ARN',
    meaning: 'an existing bus in the same account and region',
  },
  eventSource: { setting: 'EVENT_SOURCE', meaning: 'entry `source`' },
  archiveRetentionDays: {
    default: '`30`',
    allowed: 'whole days, at least 1',
    meaning: 'days the archive keeps events',
  },
  busLogLevel: {
    default: 'none',
    allowed: '`ERROR`, `INFO`, `TRACE`',
    meaning:
      "EventBridge's delivery logs of the bus created here, in a log group (see [docs/webhooks.md](webhooks.md#bus-delivery-logs) for the cost)",
  },
  busLogIncludeDetail: {
    default: '`false`',
    allowed: '`true`, `false`; needs `busLogLevel`',
    meaning: 'bus log records carry the event and the target request and answer',
  },
  tableName: {
    range: 'TABLE_NAME',
    default: 'new table',
    meaning:
      'an existing table (partition key `customerId`, string, with the `due` index: `npm run cli -- init` adds it)',
  },
  tableRemovalPolicy: {
    default: '`retain`',
    allowed: '`retain`, `destroy`',
    meaning: 'what happens to the table the stack creates when the stack is deleted',
  },
  pollIntervalMinutes: {
    default: '`1`',
    allowed: '1 to 1440',
    meaning:
      'minutes between scheduler ticks, and the shortest interval between two polls of one customer',
  },
  scheduleEnabled: {
    default: '`true`',
    allowed: '`true`, `false`',
    meaning: '`false` deploys with the schedule disabled',
  },
  timeoutSeconds: {
    default: 'interval − 10 s, at most 14 min',
    allowed: `${LIMITS.minTimeoutSeconds} to ${LIMITS.maxTimeoutSeconds}`,
    meaning: 'worker timeout, shorter than the interval and than the claim',
  },
  memorySize: {
    default: '`512`',
    allowed: `${LIMITS.minMemoryMb} to ${LIMITS.maxMemoryMb}`,
    meaning: 'worker memory (MB); the scheduler has 256',
  },
  requestsPerSecond: {
    setting: 'CAPILLARY_RPS',
    meaning:
      'request rate to Capillary, shared by every worker and any CLI `poll` on the table; a tick claims at most this × the interval',
  },
  pollConcurrency: {
    setting: 'POLL_CONCURRENCY',
    meaning: 'customers one worker polls at once, at most',
  },
  workers: {
    default: '`4`',
    allowed: `${SCALE_OUT_LIMITS.minWorkers} to ${SCALE_OUT_LIMITS.maxWorkers}`,
    meaning: "worker functions running at once: the work queue's maximum concurrency",
  },
  maxPollIntervalMinutes: {
    default: '`60`, or the interval if longer',
    allowed: `at least the interval, at most ${minutes(NUMBER_RULES.MAX_POLL_INTERVAL_SECONDS.max.value)}`,
    meaning:
      'longest minutes between two polls of an idle customer (the staleness bound); equal to the interval turns the tiers off',
  },
  claimSeconds: {
    range: 'CLAIM_SECONDS',
    default: 'worker timeout + 60 s, at least 120',
    meaning: 'how long a claim holds a customer, longer than the worker timeout',
  },
  sweepMaxPolls: {
    range: 'SWEEP_MAX_POLLS',
    default: 'none',
    meaning: 'most customers one tick claims',
  },
  keepWatchlistIndex: {
    default: '`false`',
    allowed: '`true`, `false`',
    meaning:
      '`true` for the first deploy of an upgrade from 0.1.0 (see [Upgrading](#upgrading-a-010-stack))',
  },
  seenCapacity: {
    setting: 'SEEN_CAPACITY',
    meaning: 'events remembered per customer for de-duplication',
  },
  psiMode: {
    setting: 'PSI_MODE',
    meaning: 'mask, drop or pass the attributes Capillary flags as PSI',
  },
  logLevel: { setting: 'LOG_LEVEL', meaning: 'the lowest level the functions log' },
  logRetentionDays: {
    default: '`30`',
    allowed: 'a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...)',
    meaning: 'days the function logs are kept',
  },
  serviceName: {
    default: '`capillary-event-poller`',
    allowed: '1 to 64 letters, digits, `.`, `_`, `-`',
    meaning:
      'Powertools service name = the `service` metric dimension; give each poller in an account its own',
  },
  opsTopicArn: { default: 'new topic', meaning: 'an existing topic for the alarms' },
  opsEmails: {
    default: 'none',
    allowed: '`a@x.com,b@x.com` or a JSON list',
    meaning: 'emails subscribed to the alarms',
  },
  pollErrorsAlarmThreshold: {
    default: '`5`',
    allowed: 'at least 1',
    meaning: 'poll errors in 5 minutes that raise the alarm',
  },
  noSweepAlarmMinutes: {
    default: '`10` (or 3 intervals)',
    allowed: `twice the interval (at least 2) to ${LIMITS.maxAlarmWindowMinutes}`,
    meaning: 'minutes without a completed scheduler tick that raise the alarm',
  },
  lagAlarmMinutes: {
    default: '`15`',
    allowed: 'at least 1',
    meaning: 'publication lag that raises the alarm',
  },
  alerts: { default: 'none', allowed: 'JSON list', meaning: 'alerts, see [Alerts](#alerts)' },
  webhooks: {
    default: 'none',
    allowed: 'JSON list',
    meaning: 'webhooks, see [Webhooks](#webhooks)',
  },
  dashboard: {
    default: '`true`',
    allowed: '`true`, `false`',
    meaning: 'create the CloudWatch dashboard',
  },
  schemaRegistry: {
    default: '`true`',
    allowed: '`true`, `false`',
    meaning: 'create the schema registry',
  },
  changeFeed: {
    default: '`true`',
    allowed: '`true`, `false`',
    meaning:
      "run the change feed function (reads Capillary's org-wide event log, polls active customers at once); `false` for an org without the log",
  },
  changeFeedBackstopHours: {
    default: '`6`',
    allowed: 'hours, fractions allowed, from 1 minute to 7 days',
    meaning:
      'with a healthy change feed, the staleness bound of a customer whose identifier the feed knows (`CHANGE_FEED_BACKSTOP_SECONDS`); `maxPollIntervalMinutes` again while the feed is down',
  },
  changeFeedHintShare: {
    setting: 'CHANGE_FEED_HINT_MAX_SHARE',
    meaning: "the most of a tick's claims that customers hinted by the change feed take",
  },
  stackName: {
    default: '`CapillaryEventPoller`',
    meaning: 'stack name (deploy a second poller under another name)',
  },
  nag: { default: '`true`', allowed: '`true`, `false`', meaning: 'run cdk-nag at synth' },
};
