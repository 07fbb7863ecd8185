import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DUE_INDEX_NAME,
  DUE_INDEX_PARTITION_KEY,
  DUE_INDEX_PROJECTED_ATTRIBUTES,
  DUE_INDEX_SORT_KEY,
  LEGACY_WATCHLIST_INDEX,
} from '../src/adapters/dynamodb/due-index.js';
import { DEFAULT_EVENT_SOURCE } from '../src/config/setting-schemas.js';
import { eventDetailJsonSchema } from '../src/domain/event-detail-json-schema.js';
import {
  DEFAULT_SERVICE_NAME,
  METRIC_UNITS,
  METRICS_NAMESPACE,
  MetricName,
  SERVICE_DIMENSION,
} from '../src/observability/metric-names.js';
import { AlertMessage } from './alert-message.js';
import { PollerDeliveries } from './delivery-target.js';
import { settingsEnvironment, validatePollerProps } from './props-validation.js';
import { guardAgainstReplay } from './replay-guard.js';
import {
  DEFAULT_POLL_INTERVAL,
  DEFAULT_WORKERS,
  defaultClaimDuration,
  defaultMaxPollInterval,
  defaultWorkerTimeout,
  WORK_MAX_RECEIVES,
} from './scale-out.js';
import type { PollerWebhook } from './webhook-props.js';
import { Webhook } from './webhooks.js';

/** The scheduler's handler: claims due customers and queues them for the workers. */
export const SCHEDULER_ENTRY = fileURLToPath(
  new URL('../functions/scheduler/handler.ts', import.meta.url),
);
/** The worker's handler: polls the claimed customers of one work-queue message. */
export const WORKER_ENTRY = fileURLToPath(
  new URL('../functions/worker/handler.ts', import.meta.url),
);
/** SQS's largest message size, set on the dead-letter queue and told to the function. */
const DEAD_LETTER_MAX_MESSAGE_BYTES = 1_048_576;
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export { DEFAULT_EVENT_SOURCE };
/** The table's partition key: one item per watched customer (see src/domain/customer-state.ts). */
export const TABLE_PARTITION_KEY = 'customerId';
/** The schema's name in the registry: `<source>@<title>`, as EventBridge names discovered schemas. */
export const SCHEMA_TITLE = 'CapillaryEventDetail';

/** How long a scheduled invocation may wait for the single concurrency slot: the minimum Lambda allows. */
const MAX_EVENT_AGE = Duration.seconds(60);
/** Room between the end of a tick's work and the next schedule tick. */
const TIMEOUT_HEADROOM = Duration.seconds(10);
/** The scheduler only claims and queues: it never needs long, whatever the interval. */
const MAX_SCHEDULER_TIMEOUT = Duration.minutes(2);
const SCHEDULER_MEMORY_MB = 256;
/** A message comes back this long after a worker's timeout when the worker died with it. */
const VISIBILITY_HEADROOM = Duration.seconds(30);
const ALARM_PERIOD = Duration.minutes(5);

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

/** The secret's JSON shape for each auth kind: created with empty values, filled in by operators. */
export const SECRET_TEMPLATES: Record<CapillaryAuth, Record<string, string>> = {
  basic: { username: '', password: '' },
  oauth: { clientKey: '', clientSecret: '' },
};

/**
 * Polls Capillary's customer events API on a schedule and publishes every new event to an
 * EventBridge bus (source `capillary.events`, detail-type = the event name), with alert rules,
 * alarms, a dashboard and the event contract in a schema registry.
 */
export class CapillaryEventPoller extends Construct {
  public readonly table: dynamodb.ITable;
  public readonly eventBus: events.IEventBus;
  public readonly archive: events.Archive;
  public readonly eventSource: string;
  public readonly secret: secretsmanager.ISecret;
  public readonly deadLetterQueue: sqs.Queue;
  /** Claimed customers, in messages of up to 25, from the scheduler to the workers. */
  public readonly workQueue: sqs.Queue;
  /** Work messages that failed 3 receives. */
  public readonly workDeadLetterQueue: sqs.Queue;
  /** Claims due customers every `pollInterval` and queues them (one at a time). */
  public readonly scheduler: nodejs.NodejsFunction;
  /** Polls the claimed customers of one work message (up to `workers` at once). */
  public readonly worker: nodejs.NodejsFunction;
  public readonly schedulerLogGroup: logs.LogGroup;
  public readonly workerLogGroup: logs.LogGroup;
  public readonly schedule: scheduler.Schedule;
  /** Encrypts the topics this construct creates (CloudWatch and EventBridge may use it). */
  public readonly topicKey: kms.Key;
  public readonly opsTopic: sns.ITopic;
  public readonly alarms: Record<string, cloudwatch.Alarm>;
  public readonly dashboard: cloudwatch.Dashboard | undefined;
  public readonly schemaRegistry: eventschemas.CfnRegistry | undefined;
  public readonly schema: eventschemas.CfnSchema | undefined;
  /** Per alert name: its rule and the topic it notifies. */
  public readonly alertRules: Record<string, events.Rule> = {};
  public readonly alertTopics: Record<string, sns.ITopic> = {};
  /** Every rule target created here, with its retry policy, dead-letter queue and alarms. */
  public readonly deliveries: PollerDeliveries;
  /** Per webhook name: its connection, destination and rule. */
  public readonly webhooks: Record<string, Webhook> = {};
  public readonly serviceName: string;
  /** The worker's timeout. */
  public readonly timeout: Duration;
  public readonly claimDuration: Duration;
  public readonly workers: number;
  /** The Capillary budget every poller on the table shares (`CAPILLARY_RPS`). */
  public readonly requestsPerSecond: number;

  constructor(scope: Construct, id: string, props: CapillaryEventPollerProps) {
    super(scope, id);
    const problems = validatePollerProps(props);
    if (problems.length > 0) {
      throw new Error(`Invalid CapillaryEventPoller props:\n- ${problems.join('\n- ')}`);
    }

    const stack = Stack.of(this);
    const auth = props.capillaryAuth ?? 'basic';
    const pollInterval = props.pollInterval ?? DEFAULT_POLL_INTERVAL;
    this.eventSource = props.eventSource ?? DEFAULT_EVENT_SOURCE;
    this.serviceName = props.serviceName ?? DEFAULT_SERVICE_NAME;
    this.timeout = props.timeout ?? defaultWorkerTimeout(pollInterval);
    this.claimDuration = props.claimDuration ?? defaultClaimDuration(this.timeout);
    this.workers = props.workers ?? DEFAULT_WORKERS;
    const maxPollInterval = props.maxPollInterval ?? defaultMaxPollInterval(pollInterval);

    // --- State: one item per watched customer, its cursor beside it.
    this.table =
      props.table ??
      this.createTable(props.tableRemovalPolicy ?? RemovalPolicy.RETAIN, props.keepWatchlistIndex);

    // --- The bus, and an archive of this poller's events so consumers can replay them.
    this.eventBus =
      props.eventBus ??
      new events.EventBus(this, 'EventBus', {
        description: 'Capillary customer events, pushed by capillary-event-poller',
      });
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.eventBus,
      eventPattern: { source: [this.eventSource] },
      retention: props.archiveRetention ?? Duration.days(30),
      description: `Every ${this.eventSource} event, for replay`,
    });

    // --- Credentials: read at run time by ARN and cached; never in the environment or template.
    this.secret =
      props.capillarySecret ??
      new secretsmanager.Secret(this, 'CapillaryCredentials', {
        description:
          auth === 'basic'
            ? 'Capillary API credentials for capillary-event-poller. Put {"username":"...","password":"..."} here (docs/deploying.md).'
            : 'Capillary API credentials for capillary-event-poller. Put {"clientKey":"...","clientSecret":"..."} here (docs/deploying.md).',
        // An empty template of the expected shape (no credential): the poll fails with a clear
        // message until an operator puts the real values.
        secretStringValue: SecretValue.unsafePlainText(JSON.stringify(SECRET_TEMPLATES[auth])),
        removalPolicy: RemovalPolicy.RETAIN,
      });

    // --- Events that can never be published are parked here.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // The most SQS allows: an event too large for EventBridge (256 KiB) still parks whole.
      maxMessageSizeBytes: DEAD_LETTER_MAX_MESSAGE_BYTES,
    });

    // --- Topics: one key for the ones created here. CloudWatch alarms need the key policy below to
    // publish to an encrypted topic; the rule targets of alerts add EventBridge's grant themselves.
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the capillary-event-poller ops and alert topics',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.opsTopic =
      props.opsTopic ??
      new sns.Topic(this, 'OpsTopic', {
        displayName: 'capillary-event-poller operations',
        masterKey: this.topicKey,
        enforceSSL: true,
      });
    for (const email of props.opsEmails ?? []) {
      this.opsTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.deliveries = new PollerDeliveries(this, 'Deliveries', {
      eventBus: this.eventBus,
      alarmAction: new SnsAction(this.opsTopic),
    });

    // --- The work queue: the scheduler's claimed customers, drained by the workers. A message
    // whose worker died or timed out comes back after the visibility timeout (its customers are
    // polled if their claims still hold, skipped otherwise) and is parked after 3 receives.
    this.workDeadLetterQueue = new sqs.Queue(this, 'WorkDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.workQueue = new sqs.Queue(this, 'WorkQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: this.timeout.plus(VISIBILITY_HEADROOM),
      // Claims last minutes: an older message only finds expired claims.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.workDeadLetterQueue, maxReceiveCount: WORK_MAX_RECEIVES },
    });

    // --- Settings both functions read (src/config/settings.ts).
    const environment: Record<string, string> = {
      // Settings from props (their defaults are the runtime's; see ENVIRONMENT_PROPS).
      ...settingsEnvironment(props),
      TABLE_NAME: this.table.tableName,
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      CAPILLARY_BASE_URL: props.capillaryBaseUrl,
      CAPILLARY_SECRET_ARN: this.secret.secretArn,
      // The schedule's knobs, with the defaults derived from the interval and the worker timeout.
      POLL_INTERVAL_SECONDS: String(pollInterval.toSeconds()),
      MAX_POLL_INTERVAL_SECONDS: String(maxPollInterval.toSeconds()),
      CLAIM_SECONDS: String(this.claimDuration.toSeconds()),
      POWERTOOLS_SERVICE_NAME: this.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // Stack traces point at the TypeScript sources (the bundle ships its source map).
      NODE_OPTIONS: '--enable-source-maps',
    };
    this.requestsPerSecond = Number(environment.CAPILLARY_RPS);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    // --- The scheduler: one tick at a time, claims due customers and queues them.
    this.schedulerLogGroup = new logs.LogGroup(this, 'SchedulerLogGroup', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'capillary-event-poller scheduler: query the due index, claim, queue, its logs',
    });
    this.schedulerLogGroup.grantWrite(schedulerRole);
    this.scheduler = this.createFunction('Scheduler', {
      description: `Claims the Capillary customers due every ${pollInterval.toHumanString()} and queues them for the workers`,
      entry: SCHEDULER_ENTRY,
      role: schedulerRole,
      logGroup: this.schedulerLogGroup,
      memorySize: SCHEDULER_MEMORY_MB,
      timeout: Duration.seconds(
        Math.min(
          pollInterval.toSeconds() - TIMEOUT_HEADROOM.toSeconds(),
          MAX_SCHEDULER_TIMEOUT.toSeconds(),
        ),
      ),
      environment: {
        ...environment,
        WORK_QUEUE_URL: this.workQueue.queueUrl,
        ...(props.sweepMaxPolls === undefined
          ? {}
          : { SWEEP_MAX_POLLS: String(props.sweepMaxPolls) }),
      },
      // The overlap guard: at most one tick runs at a time. Scheduler invokes asynchronously; a
      // tick that finds the one slot busy waits in Lambda's queue for at most a minute (the
      // shortest age Lambda allows), then is dropped, and the next tick covers it. A failed tick
      // is not retried either: its customers stay due and the next tick claims them.
      reservedConcurrentExecutions: 1,
      retryAttempts: 0,
      maxEventAge: MAX_EVENT_AGE,
    });
    // Exactly what a tick does: Query the due index, claim with conditional UpdateItems, send.
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${this.table.tableArn}/index/${DUE_INDEX_NAME}`],
      }),
    );
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
    schedulerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.workQueue.queueArn],
      }),
    );

    // --- The workers: each polls the customers of one message, at most `workers` at once.
    this.workerLogGroup = new logs.LogGroup(this, 'WorkerLogGroup', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const workerRole = new iam.Role(this, 'WorkerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'capillary-event-poller worker: its bus, table, secret, queues and logs',
    });
    this.workerLogGroup.grantWrite(workerRole);
    this.worker = this.createFunction('Worker', {
      description: 'Polls claimed Capillary customers and puts their new events on EventBridge',
      entry: WORKER_ENTRY,
      role: workerRole,
      logGroup: this.workerLogGroup,
      // Polls are I/O bound (HTTP, DynamoDB, PutEvents) with a few customers in flight: 512 MB
      // buys the CPU share for TLS and JSON without paying for memory a worker never fills.
      memorySize: props.memorySize ?? 512,
      timeout: this.timeout,
      environment: {
        ...environment,
        DLQ_URL: this.deadLetterQueue.queueUrl,
        DLQ_MAX_MESSAGE_BYTES: String(DEAD_LETTER_MAX_MESSAGE_BYTES),
      },
    });
    this.worker.addEventSource(
      new SqsEventSource(this.workQueue, {
        // One message (up to 25 customers) per invocation: a failure returns only that message.
        batchSize: 1,
        maxConcurrency: this.workers,
        reportBatchItemFailures: true,
      }),
    );
    // --- Least privilege: its bus, its table's items, its secret, its queues (and its logs).
    this.eventBus.grantPutEventsTo(this.worker);
    // Exactly what a poll does: read a cursor, write it conditionally, complete the claim, take
    // quota, delete a schedule item left without a cursor. (Table grants add `index/*` and
    // actions the worker never uses.)
    workerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        resources: [this.table.tableArn],
      }),
    );
    this.secret.grantRead(this.worker);
    workerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
      }),
    );

    // --- Schedule: EventBridge Scheduler, with a role that may invoke the scheduler only.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets EventBridge Scheduler start capillary-event-poller ticks',
    });
    scheduleRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.scheduler.functionArn],
      }),
    );
    const schedulerArn = this.scheduler.functionArn;
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: scheduler.ScheduleExpression.rate(pollInterval),
      description: 'Starts a capillary-event-poller tick: claim the due customers, queue them',
      enabled: props.scheduleEnabled ?? true,
      target: {
        bind: () => ({
          arn: schedulerArn,
          role: scheduleRole,
          // A missed tick is covered by the next one: no retries, no stale deliveries.
          retryPolicy: {
            maximumRetryAttempts: 0,
            maximumEventAgeInSeconds: MAX_EVENT_AGE.toSeconds(),
          },
        }),
      },
    });

    // --- The event contract in a schema registry.
    if (props.schemaRegistry ?? true) {
      this.schemaRegistry = new eventschemas.CfnRegistry(this, 'SchemaRegistry', {
        description: `Schemas of the events capillary-event-poller puts on its bus (${this.eventSource})`,
      });
      this.schema = new eventschemas.CfnSchema(this, 'DetailSchema', {
        registryName: this.schemaRegistry.attrRegistryName,
        schemaName: `${this.eventSource}@${SCHEMA_TITLE}`,
        type: 'JSONSchemaDraft4',
        content: JSON.stringify(eventDetailJsonSchema()),
        description:
          'The detail of every entry the poller puts on its bus; detail-type is detail.eventName',
      });
    }

    // --- Alerts.
    for (const alert of props.alerts ?? []) this.addAlert(alert);
    // --- Webhooks (infra/webhooks.ts): each target's retry policy, DLQ and alarms via deliveries.
    for (const webhook of props.webhooks ?? []) {
      this.webhooks[webhook.name] = new Webhook(this, `Webhook-${webhook.name}`, {
        webhook,
        eventBus: this.eventBus,
        eventSource: this.eventSource,
        deliveries: this.deliveries,
      });
    }

    // --- Operations.
    this.alarms = this.createAlarms(props.alarmThresholds ?? {}, pollInterval);
    const action = new SnsAction(this.opsTopic);
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.dashboard = (props.dashboard ?? true) ? this.createDashboard() : undefined;
    if (this.dashboard !== undefined) this.deliveries.attachDashboard(this.dashboard);

    this.acknowledgeNagFindings();
  }

  /** One of the poller's metrics (namespace `CapillaryEventPoller`, dimension `service`). */
  public metric(name: MetricName, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    const unit = METRIC_UNITS[name];
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: this.serviceName },
      statistic: unit === 'Count' ? cloudwatch.Stats.SUM : cloudwatch.Stats.MAXIMUM,
      period: ALARM_PERIOD,
      ...props,
    });
  }

  private createTable(removalPolicy: RemovalPolicy, keepWatchlistIndex = false): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    // 0.1.0's index, only while upgrading: CloudFormation adds or removes one index per update.
    if (keepWatchlistIndex) {
      table.addGlobalSecondaryIndex({
        indexName: LEGACY_WATCHLIST_INDEX.indexName,
        partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...LEGACY_WATCHLIST_INDEX.nonKeyAttributes],
      });
    }
    // Only active schedule items carry `dueShard` (a sparse index): the scheduler queries the due
    // customers, most overdue first, and reads nothing else (keys and the tier, so idle customers
    // stay cheap).
    table.addGlobalSecondaryIndex({
      indexName: DUE_INDEX_NAME,
      partitionKey: { name: DUE_INDEX_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: DUE_INDEX_SORT_KEY, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...DUE_INDEX_PROJECTED_ATTRIBUTES],
    });
    return table;
  }

  /** One of the two functions: Node.js 24 on ARM64, bundled by esbuild, SDK v3 from the runtime. */
  private createFunction(
    id: string,
    options: Pick<
      nodejs.NodejsFunctionProps,
      | 'description'
      | 'entry'
      | 'role'
      | 'logGroup'
      | 'memorySize'
      | 'timeout'
      | 'environment'
      | 'reservedConcurrentExecutions'
      | 'retryAttempts'
      | 'maxEventAge'
    >,
  ): nodejs.NodejsFunction {
    return new nodejs.NodejsFunction(this, id, {
      ...options,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      // The newest Node.js in this aws-cdk-lib; Graviton is cheaper for the same I/O-bound work.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The runtime ships AWS SDK v3; Powertools, zod and the rest are bundled.
        externalModules: ['@aws-sdk/*'],
        banner:
          "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        forceDockerBundling: false,
      },
    });
  }

  /**
   * A rule on the poller's bus matching this poller's `source` and the given event names
   * (`detail-type`s), sending matches to any EventBridge target.
   */
  public onEvent(id: string, options: OnPollerEventOptions): events.Rule {
    if (options.eventNames.length === 0) {
      throw new Error(
        `onEvent(${JSON.stringify(id)}): eventNames must list at least one event name`,
      );
    }
    const rule = new events.Rule(this, id, {
      eventBus: this.eventBus,
      description:
        options.description ?? `Capillary events ${options.eventNames.join(', ')}`.slice(0, 512),
      eventPattern: this.eventPattern(options.eventNames, options.detail, options.onReplay),
    });
    this.deliveries.addTarget('onEvent', id, rule, options.target);
    return rule;
  }

  /** Adds an alert (see `CapillaryEventPollerProps.alerts`); the props are checked first. */
  public addAlert(alert: PollerAlert): events.Rule {
    const problems = validatePollerProps({
      capillaryBaseUrl: 'https://unchecked.invalid',
      alerts: [alert],
    });
    if (alert.name in this.alertRules) {
      problems.push(`alerts[0].name ${JSON.stringify(alert.name)} is used by another alert`);
    }
    if (problems.length > 0) {
      throw new Error(`Invalid CapillaryEventPoller props:\n- ${problems.join('\n- ')}`);
    }
    const scope = new Construct(this, `Alert-${alert.name}`);
    const topic =
      alert.topic ??
      new sns.Topic(scope, 'Topic', {
        displayName: `Capillary alert ${alert.name}`.slice(0, 100),
        masterKey: this.topicKey,
        enforceSSL: true,
      });
    for (const email of alert.email ?? []) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    const rule = new events.Rule(scope, 'Rule', {
      eventBus: this.eventBus,
      enabled: alert.enabled ?? true,
      description:
        alert.description ?? `Alert ${alert.name}: ${alert.eventNames.join(', ')}`.slice(0, 512),
      eventPattern: this.eventPattern(alert.eventNames, alert.detail, alert.onReplay),
    });
    this.deliveries.addTarget(
      'alert',
      alert.name,
      rule,
      new targets.SnsTopic(topic, {
        message: new AlertMessage({ alertName: alert.name, attributes: alert.attributes ?? [] }),
      }),
    );
    this.alertRules[alert.name] = rule;
    this.alertTopics[alert.name] = topic;
    return rule;
  }

  private eventPattern(
    eventNames: readonly string[],
    detail: Record<string, unknown> | undefined,
    onReplay: boolean | undefined,
  ): events.EventPattern {
    return guardAgainstReplay(
      {
        source: [this.eventSource],
        detailType: [...eventNames],
        ...(detail === undefined ? {} : { detail }),
      },
      onReplay,
    );
  }

  private createAlarms(
    thresholds: PollerAlarmThresholds,
    pollInterval: Duration,
  ): Record<string, cloudwatch.Alarm> {
    const noSweepFor =
      thresholds.noSweepFor ??
      Duration.minutes(Math.max(10, 3 * pollInterval.toMinutes({ integral: false })));
    const lag = thresholds.lag ?? Duration.minutes(15);
    const percent = thresholds.durationPercentOfTimeout ?? 90;
    const sustained = { evaluationPeriods: 3, datapointsToAlarm: 3 };
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const sum = { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM };
    const queueDepth = (queue: sqs.Queue) =>
      queue.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      });

    return {
      pollErrors: this.metric(MetricName.PollErrors).createAlarm(this, 'PollErrorsAlarm', {
        alarmDescription:
          'Capillary polls are failing (network, HTTP status, credentials, malformed responses). See the worker logs for the customer ids and reasons.',
        threshold: thresholds.pollErrors ?? 5,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      schedulerErrors: this.scheduler.metricErrors(sum).createAlarm(this, 'SchedulerErrorsAlarm', {
        alarmDescription:
          'Scheduler ticks are failing as a whole (configuration, table or work queue unreachable). No customer is claimed or polled until this is fixed.',
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      schedulerThrottles: this.scheduler
        .metricThrottles(sum)
        .createAlarm(this, 'SchedulerThrottlesAlarm', {
          alarmDescription:
            'Scheduler ticks keep finding the previous one still running (or the account out of concurrency) and are skipped.',
          threshold: 1,
          comparisonOperator: atLeast,
          ...sustained,
          treatMissingData: notBreaching,
        }),
      noSchedulerRun: this.metric(MetricName.SweepCompleted, { period: noSweepFor }).createAlarm(
        this,
        'NoSchedulerRunAlarm',
        {
          alarmDescription: `No scheduler tick has completed for ${noSweepFor.toHumanString()}: no customer is being claimed, polled or published.`,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // No data is the symptom itself.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
      ),
      workerErrors: this.worker.metricErrors(sum).createAlarm(this, 'WorkerErrorsAlarm', {
        alarmDescription:
          'Worker invocations are failing as a whole (configuration, secret, table or bus unreachable, timeouts). Their messages come back and are parked on the work dead-letter queue after 3 receives.',
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      workerThrottles: this.worker.metricThrottles(sum).createAlarm(this, 'WorkerThrottlesAlarm', {
        alarmDescription:
          'Workers are throttled: the account has fewer free concurrent executions than the workers setting. Work waits in the queue and claims expire.',
        threshold: 1,
        comparisonOperator: atLeast,
        ...sustained,
        treatMissingData: notBreaching,
      }),
      workerDuration: this.worker
        .metricDuration({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(this, 'WorkerDurationAlarm', {
          alarmDescription: `Workers keep running close to their ${this.timeout.toHumanString()} timeout: a message's customers no longer fit one invocation, and the rest wait for their claims to expire.`,
          threshold: Math.round((this.timeout.toMilliseconds() * percent) / 100),
          comparisonOperator: atLeast,
          ...sustained,
          treatMissingData: notBreaching,
        }),
      deadLetterQueue: queueDepth(this.deadLetterQueue).createAlarm(this, 'DeadLetterQueueAlarm', {
        alarmDescription:
          'Events were parked on the dead-letter queue: EventBridge rejected them and they will not be published on their own.',
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      workDeadLetterQueue: queueDepth(this.workDeadLetterQueue).createAlarm(
        this,
        'WorkDeadLetterQueueAlarm',
        {
          alarmDescription:
            'Work messages failed 3 times and were parked on the work dead-letter queue: workers keep failing on them. Their customers are claimed again by later ticks; read the worker logs.',
          threshold: 1,
          comparisonOperator: atLeast,
          evaluationPeriods: 1,
          treatMissingData: notBreaching,
        },
      ),
      lag: this.metric(MetricName.LagSeconds).createAlarm(this, 'LagAlarm', {
        alarmDescription: `Events reach the bus more than ${lag.toHumanString()} after they happened, for 15 minutes: the poller is falling behind.`,
        threshold: lag.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        ...sustained,
        treatMissingData: notBreaching,
      }),
      customersOverdue: this.metric(MetricName.CustomersOverdue, {
        statistic: cloudwatch.Stats.MAXIMUM,
      }).createAlarm(this, 'CustomersOverdueAlarm', {
        alarmDescription:
          'Watched customers have gone unpolled for longer than the longest poll interval, for 15 minutes: the quota (requestsPerSecond) or the workers cannot keep up with the watchlist, and their events may scroll out of Capillary unseen.',
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        ...sustained,
        treatMissingData: notBreaching,
      }),
      coverageGaps: this.metric(MetricName.CoverageGaps).createAlarm(this, 'CoverageGapsAlarm', {
        alarmDescription:
          "A customer's window of events was entirely newer than what the poller had seen: events may have scrolled out of Capillary's window unpublished. The worker logs name the customers.",
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      cursorsOverBudget: this.metric(MetricName.CursorsOverBudget).createAlarm(
        this,
        'CursorsOverBudgetAlarm',
        {
          alarmDescription:
            "A customer's window of events no longer fits the cursor item's byte budget: its oldest window ids were dropped, so a late event dated below them is logged, not published. The worker logs name the customer and the item size.",
          threshold: 1,
          comparisonOperator: atLeast,
          evaluationPeriods: 1,
          treatMissingData: notBreaching,
        },
      ),
    };
  }

  private createDashboard(): cloudwatch.Dashboard {
    const period = Duration.minutes(1);
    const m = (name: MetricName, label: string, options: cloudwatch.MetricOptions = {}) =>
      this.metric(name, { period, label, ...options });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Capillary event poller\nSource \`${this.eventSource}\`, service \`${this.serviceName}\`, ${this.workers} workers. What each alarm means: docs/deploying.md.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph('Capillary quota use (%)', [
        // Every poller on the table against the one budget: requests over RPS × the period
        // (a budget known only at deploy time leaves the workers' own figures).
        ...(Number.isFinite(this.requestsPerSecond)
          ? [
              new cloudwatch.MathExpression({
                expression: `100 * requests / (${this.requestsPerSecond} * PERIOD(requests))`,
                usingMetrics: { requests: m(MetricName.CapillaryRequests, 'Requests') },
                label: 'All workers',
                period,
              }),
            ]
          : []),
        m(MetricName.QuotaUse, 'Reported'),
      ]),
      graph('Customers claimed and polled', [
        m(MetricName.CustomersClaimed, 'Claimed'),
        m(MetricName.CustomersPolled, 'Polled'),
        m(MetricName.ClaimsLost, 'Claims lost'),
      ]),
      graph('Staleness (seconds)', [
        m(MetricName.OldestStalenessSeconds, 'Oldest staleness'),
        m(MetricName.LagSeconds, 'Max lag'),
      ]),
    );
    dashboard.addWidgets(
      graph('Customers overdue', [
        m(MetricName.CustomersOverdue, 'Overdue', { statistic: cloudwatch.Stats.MAXIMUM }),
      ]),
      graph('Coverage gaps and cursors over budget', [
        m(MetricName.CoverageGaps, 'Coverage gaps'),
        m(MetricName.CursorsOverBudget, 'Cursors over budget'),
      ]),
      graph('Events published', [
        m(MetricName.EventsPublished, 'Published'),
        m(MetricName.EventsParked, 'Parked on the DLQ'),
        m(MetricName.EventsUnpublished, 'Unpublished (retried)'),
      ]),
    );
    dashboard.addWidgets(
      graph('Work queue', [
        this.workQueue.metricApproximateNumberOfMessagesVisible({ period, label: 'Messages' }),
        this.workDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period,
          label: 'Dead-lettered',
        }),
      ]),
      graph('Work queue age (seconds)', [
        this.workQueue.metricApproximateAgeOfOldestMessage({ period, label: 'Oldest message' }),
      ]),
      graph('Poll errors', [
        m(MetricName.PollErrors, 'Poll errors'),
        m(MetricName.CapillaryRequests, 'Capillary requests'),
      ]),
    );
    dashboard.addWidgets(
      graph('Scheduler', [
        m(MetricName.SweepCompleted, 'Ticks completed'),
        this.scheduler.metricErrors({ period, label: 'Errors' }),
        this.scheduler.metricThrottles({ period, label: 'Throttles' }),
      ]),
      graph('Workers', [
        this.worker.metricInvocations({ period, label: 'Invocations' }),
        this.worker.metricErrors({ period, label: 'Errors' }),
        this.worker.metricThrottles({ period, label: 'Throttles' }),
      ]),
      graph('Worker duration (ms)', [
        this.worker.metricDuration({
          period,
          statistic: cloudwatch.Stats.MAXIMUM,
          label: 'Max invocation',
        }),
      ]),
    );
    dashboard.addWidgets(
      graph(
        'Dead-letter queue',
        [
          this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period,
            label: 'Messages',
          }),
        ],
        12,
      ),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: Object.values(this.alarms),
        width: 12,
        height: 6,
      }),
    );
    return dashboard;
  }

  /** Findings this design answers differently; each acknowledged on the one resource it concerns. */
  private acknowledgeNagFindings(): void {
    if (this.secret instanceof secretsmanager.Secret) {
      Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The secret holds credentials Capillary issues; no rotation function can create new ones, so operators rotate them in Capillary and update the secret.',
      });
    }
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue: the workers park unpublishable events on it directly, so it has no queue behind it.',
    });
    Validations.of(this.workDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is the work queue's dead-letter queue: nothing is behind a dead-letter queue.",
    });
  }
}
