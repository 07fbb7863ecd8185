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
import type { PollerWebhook } from './webhook-props.js';
import { Webhook } from './webhooks.js';

/** The handler the construct bundles. */
export const HANDLER_ENTRY = fileURLToPath(
  new URL('../functions/poller/handler.ts', import.meta.url),
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
/** Room between the end of a sweep and the next schedule tick. */
const TIMEOUT_HEADROOM = Duration.seconds(10);
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
   * The table of watched customers and their cursors. An existing table needs the `due`
   * index (the CLI's `init` adds it) and must be imported with
   * `Table.fromTableAttributes(this, id, { tableName, globalIndexes: ['due'] })` so the
   * function may query it.
   * @default - a new on-demand table with point-in-time recovery and the `due` index,
   * retained on stack deletion
   */
  readonly table?: dynamodb.ITable;
  /**
   * What happens to the table this construct creates when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * How often a sweep starts (whole minutes).
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;
  /**
   * Whether the schedule is enabled (disable it to deploy before the secret is filled in).
   * @default true
   */
  readonly scheduleEnabled?: boolean;
  /**
   * The Lambda timeout; must be shorter than `pollInterval`. The handler watches its remaining
   * time and stops starting customers before it runs out; the rest wait for the next sweep.
   * @default - `pollInterval` less 10 seconds, at most 15 minutes (50 seconds for 1 minute)
   */
  readonly timeout?: Duration;
  /**
   * The Lambda memory in MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Requests per second the poller may send to Capillary.
   * @default 10
   */
  readonly requestsPerSecond?: number;
  /**
   * Customers polled at the same time.
   * @default 8
   */
  readonly pollConcurrency?: number;
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
  public readonly logGroup: logs.LogGroup;
  public readonly function: nodejs.NodejsFunction;
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
  public readonly timeout: Duration;

  constructor(scope: Construct, id: string, props: CapillaryEventPollerProps) {
    super(scope, id);
    const problems = validatePollerProps(props);
    if (problems.length > 0) {
      throw new Error(`Invalid CapillaryEventPoller props:\n- ${problems.join('\n- ')}`);
    }

    const stack = Stack.of(this);
    const auth = props.capillaryAuth ?? 'basic';
    const pollInterval = props.pollInterval ?? Duration.minutes(1);
    this.eventSource = props.eventSource ?? DEFAULT_EVENT_SOURCE;
    this.serviceName = props.serviceName ?? DEFAULT_SERVICE_NAME;
    this.timeout =
      props.timeout ??
      Duration.seconds(Math.min(pollInterval.toSeconds() - TIMEOUT_HEADROOM.toSeconds(), 900));

    // --- State: one item per watched customer, its cursor beside it.
    this.table = props.table ?? this.createTable(props.tableRemovalPolicy ?? RemovalPolicy.RETAIN);

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

    // --- The function.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'capillary-event-poller: its bus, table, secret, dead-letter queue and logs',
    });
    this.logGroup.grantWrite(role);

    const environment: Record<string, string> = {
      // Settings from props (their defaults are the runtime's; see ENVIRONMENT_PROPS).
      ...settingsEnvironment(props),
      TABLE_NAME: this.table.tableName,
      EVENT_BUS_NAME: this.eventBus.eventBusName,
      CAPILLARY_BASE_URL: props.capillaryBaseUrl,
      CAPILLARY_SECRET_ARN: this.secret.secretArn,
      DLQ_URL: this.deadLetterQueue.queueUrl,
      DLQ_MAX_MESSAGE_BYTES: String(DEAD_LETTER_MAX_MESSAGE_BYTES),
      POWERTOOLS_SERVICE_NAME: this.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // Stack traces point at the TypeScript sources (the bundle ships its source map).
      NODE_OPTIONS: '--enable-source-maps',
    };

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: `Polls Capillary customer events every ${pollInterval.toHumanString()} and puts them on EventBridge`,
      entry: HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      // The newest Node.js in this aws-cdk-lib; Graviton is cheaper for the same I/O-bound work.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // Sweeps are I/O bound (HTTP, DynamoDB, PutEvents) with a few customers in flight: 512 MB
      // buys the CPU share for TLS and JSON without paying for memory the sweep never fills.
      memorySize: props.memorySize ?? 512,
      // Shorter than the schedule period, so one sweep ends before the next is due.
      timeout: this.timeout,
      role,
      logGroup: this.logGroup,
      environment,
      // The overlap guard. At most one sweep runs at a time: Scheduler invokes asynchronously, and
      // an invocation that finds the one slot busy is throttled and waits in Lambda's queue for
      // at most a minute (the shortest age Lambda allows), then is dropped; the next tick covers
      // it. A failed sweep is not retried either: its customers keep their cursors and the next
      // scheduled run polls them again.
      reservedConcurrentExecutions: 1,
      retryAttempts: 0,
      maxEventAge: MAX_EVENT_AGE,
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

    // --- Least privilege: its bus, its table, its secret, its queue (and its logs above).
    this.eventBus.grantPutEventsTo(this.function);
    // Exactly what a sweep does: Query the due index, claim and complete (UpdateItem) schedule
    // items, read and conditionally write cursors, delete a schedule item left without a cursor.
    // (Table grants add `index/*` for a table with indexes, and actions the poller never uses.)
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        resources: [this.table.tableArn],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${this.table.tableArn}/index/${DUE_INDEX_NAME}`],
      }),
    );
    this.secret.grantRead(this.function);
    this.deadLetterQueue.grantSendMessages(this.function);

    // --- Schedule: EventBridge Scheduler, with a role that may invoke this function only.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets EventBridge Scheduler start capillary-event-poller sweeps',
    });
    scheduleRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.function.functionArn],
      }),
    );
    const functionArn = this.function.functionArn;
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: scheduler.ScheduleExpression.rate(pollInterval),
      description: 'Starts a capillary-event-poller sweep',
      enabled: props.scheduleEnabled ?? true,
      target: {
        bind: () => ({
          arn: functionArn,
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

  /**
   * A rule on the poller's bus matching this poller's `source` and the given event names
   * (`detail-type`s), sending matches to any EventBridge target.
   */
  private createTable(removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    // Due customers, by shard and next poll time: a sweep reads only what it claims.
    table.addGlobalSecondaryIndex({
      indexName: DUE_INDEX_NAME,
      partitionKey: { name: DUE_INDEX_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: DUE_INDEX_SORT_KEY, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: [...DUE_INDEX_PROJECTED_ATTRIBUTES],
    });
    return table;
  }

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
    const fn = this.function;
    const noSweepFor =
      thresholds.noSweepFor ??
      Duration.minutes(Math.max(10, 3 * pollInterval.toMinutes({ integral: false })));
    const lag = thresholds.lag ?? Duration.minutes(15);
    const percent = thresholds.durationPercentOfTimeout ?? 90;
    const sustained = { evaluationPeriods: 3, datapointsToAlarm: 3 };
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;

    return {
      pollErrors: this.metric(MetricName.PollErrors).createAlarm(this, 'PollErrorsAlarm', {
        alarmDescription:
          'Capillary polls are failing (network, HTTP status, credentials, malformed responses). See the function logs for the customer ids and reasons.',
        threshold: thresholds.pollErrors ?? 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      functionErrors: fn
        .metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM })
        .createAlarm(this, 'FunctionErrorsAlarm', {
          alarmDescription:
            'Sweeps are failing as a whole (configuration, secret, table or bus unreachable). No customer is polled until this is fixed.',
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: notBreaching,
        }),
      functionThrottles: fn
        .metricThrottles({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM })
        .createAlarm(this, 'FunctionThrottlesAlarm', {
          alarmDescription:
            'Scheduled sweeps keep finding the previous one still running (or the account out of concurrency) and are skipped.',
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          ...sustained,
          treatMissingData: notBreaching,
        }),
      functionDuration: fn
        .metricDuration({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.MAXIMUM })
        .createAlarm(this, 'FunctionDurationAlarm', {
          alarmDescription: `Sweeps keep running close to the ${this.timeout.toHumanString()} timeout: the watchlist no longer fits one sweep, and customers are deferred to later sweeps.`,
          threshold: Math.round((this.timeout.toMilliseconds() * percent) / 100),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          ...sustained,
          treatMissingData: notBreaching,
        }),
      deadLetterQueue: this.deadLetterQueue
        .metricApproximateNumberOfMessagesVisible({
          period: ALARM_PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        })
        .createAlarm(this, 'DeadLetterQueueAlarm', {
          alarmDescription:
            'Events were parked on the dead-letter queue: EventBridge rejected them and they will not be published on their own.',
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: notBreaching,
        }),
      noSweep: this.metric(MetricName.SweepCompleted, { period: noSweepFor }).createAlarm(
        this,
        'NoSweepAlarm',
        {
          alarmDescription: `No sweep has completed for ${noSweepFor.toHumanString()}: nothing is being polled or published.`,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // No data is the symptom itself.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
      ),
      lag: this.metric(MetricName.LagSeconds).createAlarm(this, 'LagAlarm', {
        alarmDescription: `Events reach the bus more than ${lag.toHumanString()} after they happened, for 15 minutes: the poller is falling behind.`,
        threshold: lag.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        ...sustained,
        treatMissingData: notBreaching,
      }),
    };
  }

  private createDashboard(): cloudwatch.Dashboard {
    const fn = this.function;
    const period = Duration.minutes(1);
    const m = (name: MetricName, label: string) => this.metric(name, { period, label });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Capillary event poller\nSource \`${this.eventSource}\`, service \`${this.serviceName}\`. What each alarm means: docs/deploying.md.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph('Events published', [
        m(MetricName.EventsPublished, 'Published'),
        m(MetricName.EventsParked, 'Parked on the DLQ'),
        m(MetricName.EventsUnpublished, 'Unpublished (retried)'),
      ]),
      graph('Customers polled', [
        m(MetricName.CustomersPolled, 'Polled'),
        m(MetricName.CustomersDeferred, 'Deferred to the next sweep'),
      ]),
      graph('Poll errors', [m(MetricName.PollErrors, 'Poll errors')]),
    );
    dashboard.addWidgets(
      graph('Lag (seconds)', [m(MetricName.LagSeconds, 'Max lag')]),
      graph('Sweep duration (ms)', [
        m(MetricName.SweepDuration, 'Sweep duration'),
        fn.metricDuration({ period, statistic: cloudwatch.Stats.MAXIMUM, label: 'Invocation' }),
      ]),
      graph('Sweeps', [
        m(MetricName.SweepCompleted, 'Completed'),
        fn.metricErrors({ period, label: 'Errors' }),
        fn.metricThrottles({ period, label: 'Throttles' }),
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
        'This queue is the dead-letter queue: the function parks unpublishable events on it directly, so it has no queue behind it.',
    });
  }
}
