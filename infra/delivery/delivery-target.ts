import { Duration, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** What kind of rule target a delivery is: the construct creates all three. */
export type DeliveryKind = 'alert' | 'webhook' | 'onEvent';

/** How long and how often EventBridge retries a target before it parks the event. */
export interface DeliveryRetry {
  /**
   * Retries before the event goes to the dead-letter queue, 0 to 185.
   * @default 185
   */
  readonly retryAttempts?: number;
  /**
   * How long EventBridge keeps retrying, 1 minute to 24 hours.
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;
  /**
   * The dead-letter queue to use (a webhook's, shared with its delivery function).
   * @default - one is created beside the rule
   */
  readonly deadLetterQueue?: sqs.Queue;
}

/** EventBridge's own defaults, written out so the template says what happens. */
const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_MAX_EVENT_AGE = Duration.hours(24);
const ALARM_PERIOD = Duration.minutes(5);
const DASHBOARD_PERIOD = Duration.minutes(1);

/** One rule target the construct created, with what watches it. */
export interface Delivery {
  readonly kind: DeliveryKind;
  readonly name: string;
  readonly rule: events.Rule;
  /** Where EventBridge parks events it could not deliver (`undefined` if the target brought its own). */
  readonly deadLetterQueue: sqs.Queue | undefined;
  readonly failedInvocationsAlarm: cloudwatch.Alarm;
  readonly deadLetterQueueAlarm: cloudwatch.Alarm | undefined;
}

export interface PollerDeliveriesProps {
  /** The bus the rules are on (its name is a dimension of the rule metrics of a custom bus). */
  readonly eventBus: events.IEventBus;
  /** Notified when a delivery alarm fires and when it recovers. */
  readonly alarmAction: cloudwatch.IAlarmAction;
}

/**
 * Every rule target of the construct, each with a retry policy, its own dead-letter queue (so
 * the dashboard and alarms show depth per target), an alarm on permanently failed invocations and
 * one on its queue's depth.
 */
export class PollerDeliveries extends Construct {
  public readonly deliveries: Delivery[] = [];
  private dashboard: cloudwatch.Dashboard | undefined;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: PollerDeliveriesProps,
  ) {
    super(scope, id);
  }

  /**
   * Adds `target` to `rule` with a retry policy and a dead-letter queue (unless the target's own
   * config already sets them), and watches it. Event-bus targets get the queue only: EventBridge
   * accepts no retry policy on them and retries them itself.
   */
  public addTarget(
    kind: DeliveryKind,
    name: string,
    rule: events.Rule,
    target: events.IRuleTarget,
    retry: DeliveryRetry = {},
  ): Delivery {
    let deadLetterQueue: sqs.Queue | undefined;
    const label = `${kind} ${name}`;
    rule.addTarget({
      bind: (boundRule, targetId) => {
        const config = target.bind(boundRule, targetId);
        let deadLetterConfig = config.deadLetterConfig;
        if (deadLetterConfig === undefined) {
          deadLetterQueue = retry.deadLetterQueue ?? createDeadLetterQueue(rule, label);
          targets.addToDeadLetterQueueResourcePolicy(boundRule, deadLetterQueue);
          deadLetterConfig = { arn: deadLetterQueue.queueArn };
        }
        const retryPolicy =
          config.retryPolicy ??
          (target instanceof targets.EventBus
            ? undefined
            : {
                maximumRetryAttempts: retry.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
                maximumEventAgeInSeconds: (retry.maxEventAge ?? DEFAULT_MAX_EVENT_AGE).toSeconds(),
              });
        return {
          ...config,
          deadLetterConfig,
          ...(retryPolicy === undefined ? {} : { retryPolicy }),
        };
      },
    });

    const failedInvocationsAlarm = this.ruleMetric(
      rule,
      'FailedInvocations',
      ALARM_PERIOD,
    ).createAlarm(rule, 'FailedInvocationsAlarm', {
      alarmDescription: `EventBridge gave up delivering events to the ${label} target (see its dead-letter queue for them and their error).`,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const deadLetterQueueAlarm = deadLetterQueue
      ?.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: cloudwatch.Stats.MAXIMUM,
      })
      .createAlarm(rule, 'DeadLetterQueueAlarm', {
        alarmDescription: `Events for the ${label} target are parked on its dead-letter queue: it refused or could not be reached until retries ran out.`,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    for (const alarm of [failedInvocationsAlarm, deadLetterQueueAlarm]) {
      alarm?.addAlarmAction(this.props.alarmAction);
      alarm?.addOkAction(this.props.alarmAction);
    }

    const delivery: Delivery = {
      kind,
      name,
      rule,
      deadLetterQueue,
      failedInvocationsAlarm,
      deadLetterQueueAlarm,
    };
    this.deliveries.push(delivery);
    if (this.dashboard !== undefined) this.addRow(this.dashboard, delivery);
    return delivery;
  }

  /** Adds a row per delivery to `dashboard`, now and for targets added later. */
  public attachDashboard(dashboard: cloudwatch.Dashboard): void {
    this.dashboard = dashboard;
    for (const delivery of this.deliveries) this.addRow(dashboard, delivery);
  }

  /** A rule metric of `AWS/Events` (custom buses add the bus name to the rule name). */
  public ruleMetric(
    rule: events.IRule,
    metricName: string,
    period: Duration,
    label?: string,
  ): cloudwatch.Metric {
    const busName = this.props.eventBus.eventBusName;
    const onDefaultBus = !Token.isUnresolved(busName) && busName === 'default';
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName,
      dimensionsMap: onDefaultBus
        ? { RuleName: rule.ruleName }
        : { EventBusName: busName, RuleName: rule.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period,
      label,
    });
  }

  private addRow(dashboard: cloudwatch.Dashboard, delivery: Delivery): void {
    const title = `${delivery.kind} ${delivery.name}`;
    const metric = (name: string, label: string) =>
      this.ruleMetric(delivery.rule, name, DASHBOARD_PERIOD, label);
    const alarms = [delivery.failedInvocationsAlarm];
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({
        title: `Deliveries: ${title}`,
        left: [
          metric('Invocations', 'Delivered (invocations)'),
          metric('FailedInvocations', 'Failed'),
          metric('InvocationsSentToDlq', 'Sent to its DLQ'),
          metric('InvocationsFailedToBeSentToDlq', 'Lost (DLQ send failed)'),
        ],
        width: 12,
        height: 6,
      }),
    ];
    if (delivery.deadLetterQueue !== undefined && delivery.deadLetterQueueAlarm !== undefined) {
      alarms.push(delivery.deadLetterQueueAlarm);
      widgets.push(
        new cloudwatch.GraphWidget({
          title: `DLQ depth: ${title}`,
          left: [
            delivery.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              period: DASHBOARD_PERIOD,
              statistic: cloudwatch.Stats.MAXIMUM,
              label: 'Parked events',
            }),
          ],
          width: 6,
          height: 6,
        }),
      );
    }
    widgets.push(
      new cloudwatch.AlarmStatusWidget({
        title: `Alarms: ${title}`,
        alarms,
        width: 6,
        height: 6,
      }),
    );
    dashboard.addWidgets(...widgets);
  }
}

/** An encrypted, SSL-only queue beside the rule, for the events its target could not take. */
function createDeadLetterQueue(rule: events.Rule, label: string): sqs.Queue {
  const queue = new sqs.Queue(rule, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is the dead-letter queue of the ${label} rule target: EventBridge parks undeliverable events on it, so it has no queue behind it.`,
  });
  return queue;
}
