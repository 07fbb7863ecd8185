import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_EVENT_SOURCE } from '../src/config/setting-schemas.js';
import { DEFAULT_SERVICE_NAME, type MetricName } from '../src/observability/metric-names.js';
import type {
  CapillaryEventPollerProps,
  OnPollerEventOptions,
  PollerAlert,
} from './capillary-event-poller-props.js';
import { PollerDeliveries } from './delivery/delivery-target.js';
import { DetailSchemaRegistry } from './delivery/detail-schema-registry.js';
import { PollerBus } from './delivery/poller-bus.js';
import { PollerRules } from './delivery/poller-rules.js';
import { PublishDeadLetterQueue } from './delivery/publish-dead-letter-queue.js';
import type { Webhook } from './delivery/webhooks.js';
import { OpsNotifications } from './observability/ops-notifications.js';
import { createPollerAlarms } from './observability/poller-alarms.js';
import { createPollerDashboard } from './observability/poller-dashboard.js';
import { pollerMetric } from './observability/poller-metric.js';
import { CapillaryCredentials } from './polling/capillary-credentials.js';
import { ChangeFeedFunction } from './polling/change-feed-function.js';
import { functionEnvironment } from './polling/function-environment.js';
import { PollSchedule } from './polling/poll-schedule.js';
import { SchedulerFunction } from './polling/scheduler-function.js';
import { WorkQueue } from './polling/work-queue.js';
import { WorkerFunction } from './polling/worker-function.js';
import { validatePollerProps } from './props-validation.js';
import {
  DEFAULT_POLL_INTERVAL,
  DEFAULT_WORKERS,
  defaultClaimDuration,
  defaultMaxPollInterval,
  defaultWorkerTimeout,
} from './scale-out.js';
import { PollerTable } from './state/poller-table.js';

/**
 * Polls Capillary's customer events API on a schedule and publishes every new event to an
 * EventBridge bus (source `capillary.events`, detail-type = the event name), with alert rules,
 * alarms, a dashboard and the event contract in a schema registry.
 *
 * The rooms it composes (state/, polling/, delivery/, observability/) are plain classes that
 * create their resources with this construct as the scope, not constructs of their own: a
 * construct in between would change every resource's path, hence its logical ID, and an upgrade
 * would replace the table, queues and bus. test/infra/logical-ids.test.ts pins them.
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
  /** Reads Capillary's org-wide event log (one at a time); `undefined` with `changeFeed: false`. */
  public readonly changeFeed: nodejs.NodejsFunction | undefined;
  public readonly changeFeedLogGroup: logs.LogGroup | undefined;
  /** The identifier index's hash key: `IDENTIFIER_KEY_SECRET_ARN` for `watch add`. */
  public readonly identifierKey: secretsmanager.ISecret | undefined;
  /** Encrypts the topics this construct creates (CloudWatch and EventBridge may use it). */
  public readonly topicKey: kms.Key;
  public readonly opsTopic: sns.ITopic;
  public readonly alarms: Record<string, cloudwatch.Alarm>;
  public readonly dashboard: cloudwatch.Dashboard | undefined;
  public readonly schemaRegistry: eventschemas.CfnRegistry | undefined;
  public readonly schema: eventschemas.CfnSchema | undefined;
  /** Per alert name: its rule and the topic it notifies. */
  public readonly alertRules: Record<string, events.Rule>;
  public readonly alertTopics: Record<string, sns.ITopic>;
  /** Every rule target created here, with its retry policy, dead-letter queue and alarms. */
  public readonly deliveries: PollerDeliveries;
  /** Per webhook name: its rule, queues and delivery function. */
  public readonly webhooks: Record<string, Webhook>;
  public readonly serviceName: string;
  /** The worker's timeout. */
  public readonly timeout: Duration;
  public readonly claimDuration: Duration;
  public readonly workers: number;
  /** The Capillary budget every poller on the table shares (`CAPILLARY_RPS`). */
  public readonly requestsPerSecond: number;
  private readonly rules: PollerRules;

  constructor(scope: Construct, id: string, props: CapillaryEventPollerProps) {
    super(scope, id);
    const problems = validatePollerProps(props, Stack.of(this).region);
    if (problems.length > 0) {
      throw new Error(`Invalid CapillaryEventPoller props:\n- ${problems.join('\n- ')}`);
    }

    const pollInterval = props.pollInterval ?? DEFAULT_POLL_INTERVAL;
    this.eventSource = props.eventSource ?? DEFAULT_EVENT_SOURCE;
    this.serviceName = props.serviceName ?? DEFAULT_SERVICE_NAME;
    this.timeout = props.timeout ?? defaultWorkerTimeout(pollInterval);
    this.claimDuration = props.claimDuration ?? defaultClaimDuration(this.timeout);
    this.workers = props.workers ?? DEFAULT_WORKERS;
    const maxPollInterval = props.maxPollInterval ?? defaultMaxPollInterval(pollInterval);

    // --- State: one item per watched customer, its cursor beside it.
    const state = new PollerTable(this, props.table, {
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
      keepWatchlistIndex: props.keepWatchlistIndex ?? false,
    });
    this.table = state.table;

    // --- Delivery: the bus and its archive; credentials; events that can never be published.
    const bus = new PollerBus(this, {
      eventBus: props.eventBus,
      eventSource: this.eventSource,
      archiveRetention: props.archiveRetention ?? Duration.days(30),
      logs: props.busLogs,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.eventBus = bus.eventBus;
    this.archive = bus.archive;
    const credentials = new CapillaryCredentials(
      this,
      props.capillaryAuth ?? 'basic',
      props.capillarySecret,
    );
    this.secret = credentials.secret;
    const parked = new PublishDeadLetterQueue(this);
    this.deadLetterQueue = parked.queue;

    // --- Observability: the topics' key and the ops topic; every rule target is watched.
    const ops = new OpsNotifications(this, {
      opsTopic: props.opsTopic,
      opsEmails: props.opsEmails ?? [],
    });
    this.topicKey = ops.topicKey;
    this.opsTopic = ops.opsTopic;
    this.deliveries = new PollerDeliveries(this, 'Deliveries', {
      eventBus: this.eventBus,
      alarmAction: new SnsAction(this.opsTopic),
    });

    // --- Polling: the work queue, the scheduler that fills it, the workers that drain it.
    const work = new WorkQueue(this, this.timeout);
    this.workQueue = work.queue;
    this.workDeadLetterQueue = work.deadLetterQueue;
    const environment = functionEnvironment(props, {
      tableName: this.table.tableName,
      eventBusName: this.eventBus.eventBusName,
      secretArn: this.secret.secretArn,
      pollInterval,
      maxPollInterval,
      claimDuration: this.claimDuration,
      serviceName: this.serviceName,
    });
    this.requestsPerSecond = Number(environment.CAPILLARY_RPS);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const schedulerFunction = new SchedulerFunction(this, {
      pollInterval,
      logRetention,
      environment,
      workQueueUrl: this.workQueue.queueUrl,
      sweepMaxPolls: props.sweepMaxPolls,
    });
    this.scheduler = schedulerFunction.fn;
    this.schedulerLogGroup = schedulerFunction.logGroup;
    // Exactly what a tick does: Query the due index, read an item (a cursor to rebuild a schedule
    // from, the feed's cursor for its health, the walk's position), walk the table for customers
    // off the index, claim with conditional UpdateItems, send.
    state.grantDueQuery(schedulerFunction.role);
    state.grantItemRead(schedulerFunction.role);
    state.grantBackstopWalk(schedulerFunction.role);
    state.grantClaim(schedulerFunction.role);
    work.grantSend(schedulerFunction.role);

    const workerFunction = new WorkerFunction(this, {
      timeout: this.timeout,
      memorySize: props.memorySize,
      logRetention,
      environment,
      workQueue: this.workQueue,
      workers: this.workers,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
    });
    this.worker = workerFunction.fn;
    this.workerLogGroup = workerFunction.logGroup;
    // Least privilege: its bus, its table's items, its secret, its queues (and its logs).
    bus.grantPutEvents(this.worker);
    state.grantCursorReadWrite(workerFunction.role);
    credentials.grantRead(this.worker);
    parked.grantSend(workerFunction.role);

    this.schedule = new PollSchedule(this, {
      target: this.scheduler,
      pollInterval,
      enabled: props.scheduleEnabled ?? true,
    }).schedule;

    if (props.changeFeed ?? true) {
      const feed = new ChangeFeedFunction(this, {
        logRetention,
        environment,
        enabled: props.scheduleEnabled ?? true,
      });
      this.changeFeed = feed.fn;
      this.changeFeedLogGroup = feed.logGroup;
      this.identifierKey = feed.identifierKey;
      // Its cursor, hints (UpdateItem), the quota item, and the identifier index in batches.
      state.grantCursorReadWrite(feed.role);
      state.grantIdentifierIndex(feed.role);
      credentials.grantRead(feed.fn);
    }

    // --- Delivery: the event contract, alerts, webhooks (and `onEvent` rules added later).
    if (props.schemaRegistry ?? true) {
      const registry = new DetailSchemaRegistry(this, this.eventSource);
      this.schemaRegistry = registry.registry;
      this.schema = registry.schema;
    }
    this.rules = new PollerRules(this, {
      eventBus: this.eventBus,
      eventSource: this.eventSource,
      topicKey: this.topicKey,
      deliveries: this.deliveries,
      logRetention,
    });
    this.alertRules = this.rules.alertRules;
    this.alertTopics = this.rules.alertTopics;
    this.webhooks = this.rules.webhooks;
    for (const alert of props.alerts ?? []) this.addAlert(alert);
    for (const webhook of props.webhooks ?? []) this.rules.addWebhook(webhook);

    // --- Observability: the alarms notify the ops topic; the dashboard draws them.
    const metric = (name: MetricName, options?: cloudwatch.MetricOptions) =>
      this.metric(name, options);
    this.alarms = createPollerAlarms(this, {
      thresholds: props.alarmThresholds ?? {},
      pollInterval,
      metric,
      scheduler: this.scheduler,
      worker: this.worker,
      workerTimeout: this.timeout,
      deadLetterQueue: this.deadLetterQueue,
      workDeadLetterQueue: this.workDeadLetterQueue,
      changeFeed: this.changeFeed !== undefined,
    });
    const action = new SnsAction(this.opsTopic);
    for (const alarm of Object.values(this.alarms)) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    if (props.dashboard ?? true) {
      this.dashboard = createPollerDashboard(this, {
        eventSource: this.eventSource,
        serviceName: this.serviceName,
        workers: this.workers,
        requestsPerSecond: this.requestsPerSecond,
        metric,
        scheduler: this.scheduler,
        worker: this.worker,
        workQueue: this.workQueue,
        workDeadLetterQueue: this.workDeadLetterQueue,
        deadLetterQueue: this.deadLetterQueue,
        alarms: this.alarms,
        changeFeed: this.changeFeed,
      });
      this.deliveries.attachDashboard(this.dashboard);
    }
  }

  /** One of the poller's metrics (namespace `CapillaryEventPoller`, dimension `service`). */
  public metric(name: MetricName, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return pollerMetric(this.serviceName, name, props);
  }

  /**
   * A rule on the poller's bus matching this poller's `source` and the given event names
   * (`detail-type`s), sending matches to any EventBridge target.
   */
  public onEvent(id: string, options: OnPollerEventOptions): events.Rule {
    return this.rules.onEvent(id, options);
  }

  /** Adds an alert (see `CapillaryEventPollerProps.alerts`); the props are checked first. */
  public addAlert(alert: PollerAlert): events.Rule {
    return this.rules.addAlert(alert);
  }
}
