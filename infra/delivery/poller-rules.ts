import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { OnPollerEventOptions, PollerAlert } from '../capillary-event-poller-props.js';
import { validatePollerProps } from '../props-validation.js';
import { AlertMessage } from './alert-message.js';
import type { PollerDeliveries } from './delivery-target.js';
import { guardAgainstReplay } from './replay-guard.js';
import type { PollerWebhook } from './webhook-props.js';
import { Webhook } from './webhooks.js';

export interface PollerRulesProps {
  readonly eventBus: events.IEventBus;
  /** The poller's entry `source`: every rule matches it. */
  readonly eventSource: string;
  /** Encrypts the alert topics created here. */
  readonly topicKey: kms.IKey;
  /** Adds each target with its retry policy, dead-letter queue and alarms. */
  readonly deliveries: PollerDeliveries;
  /** How long the webhooks' delivery functions keep their logs. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * Every rule on the poller's bus: `onEvent` targets, alerts and webhooks, each matching this
 * poller's `source` and some event names, and guarded against archive replays unless asked.
 */
export class PollerRules {
  /** Per alert name: its rule and the topic it notifies. */
  public readonly alertRules: Record<string, events.Rule> = {};
  public readonly alertTopics: Record<string, sns.ITopic> = {};
  /** Per webhook name: its rule, queues and delivery function. */
  public readonly webhooks: Record<string, Webhook> = {};

  /** `scope` is the poller itself, so every rule keeps its construct path and logical ID. */
  constructor(
    private readonly scope: Construct,
    private readonly props: PollerRulesProps,
  ) {}

  /** See `CapillaryEventPoller.onEvent`. */
  public onEvent(id: string, options: OnPollerEventOptions): events.Rule {
    if (options.eventNames.length === 0) {
      throw new Error(
        `onEvent(${JSON.stringify(id)}): eventNames must list at least one event name`,
      );
    }
    const rule = new events.Rule(this.scope, id, {
      eventBus: this.props.eventBus,
      description:
        options.description ?? `Capillary events ${options.eventNames.join(', ')}`.slice(0, 512),
      eventPattern: this.eventPattern(options.eventNames, options.detail, options.onReplay),
    });
    this.props.deliveries.addTarget('onEvent', id, rule, options.target);
    return rule;
  }

  /** See `CapillaryEventPoller.addAlert`. */
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
    const scope = new Construct(this.scope, `Alert-${alert.name}`);
    const topic =
      alert.topic ??
      new sns.Topic(scope, 'Topic', {
        displayName: `Capillary alert ${alert.name}`.slice(0, 100),
        masterKey: this.props.topicKey,
        enforceSSL: true,
      });
    for (const email of alert.email ?? []) {
      topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    const rule = new events.Rule(scope, 'Rule', {
      eventBus: this.props.eventBus,
      enabled: alert.enabled ?? true,
      description:
        alert.description ?? `Alert ${alert.name}: ${alert.eventNames.join(', ')}`.slice(0, 512),
      eventPattern: this.eventPattern(alert.eventNames, alert.detail, alert.onReplay),
    });
    if (alert.topic !== undefined && Token.isUnresolved(Stack.of(rule).region)) {
      // An environment-agnostic stack cannot compare its region with the topic's ARN; the docs
      // require an existing topic in the account and region the stack is deployed to.
      Annotations.of(rule).acknowledgeWarning(
        '@aws-cdk/aws-events:ruleUnresolvedEnvironment',
        'an existing alert topic is in the account and region the stack is deployed to (docs/deploying.md)',
      );
    }
    this.props.deliveries.addTarget(
      'alert',
      alert.name,
      rule,
      alertTopicTarget(
        topic,
        new AlertMessage({ alertName: alert.name, attributes: alert.attributes ?? [] }),
      ),
    );
    this.alertRules[alert.name] = rule;
    this.alertTopics[alert.name] = topic;
    return rule;
  }

  /** A webhook (infra/delivery/webhooks.ts): its target's retry policy, DLQ and alarms via deliveries. */
  public addWebhook(webhook: PollerWebhook): Webhook {
    const created = new Webhook(this.scope, `Webhook-${webhook.name}`, {
      webhook,
      eventBus: this.props.eventBus,
      eventSource: this.props.eventSource,
      deliveries: this.props.deliveries,
      logRetention: this.props.logRetention,
    });
    this.webhooks[webhook.name] = created;
    return created;
  }

  private eventPattern(
    eventNames: readonly string[],
    detail: Record<string, unknown> | undefined,
    onReplay: boolean | undefined,
  ): events.EventPattern {
    return guardAgainstReplay(
      {
        source: [this.props.eventSource],
        detailType: [...eventNames],
        ...(detail === undefined ? {} : { detail }),
      },
      onReplay,
    );
  }
}

/**
 * `targets.SnsTopic`, with the topic policy letting EventBridge publish for this rule only
 * (`aws:SourceArn`, which EventBridge sends to SNS). The key statement stays unconditioned: AWS
 * does not support `aws:SourceArn` or `aws:SourceAccount` in a KMS key policy for
 * EventBridge-to-encrypted-topic delivery (Amazon SNS Developer Guide, key management), and a
 * condition there would drop every alert silently.
 */
function alertTopicTarget(topic: sns.ITopic, message: events.RuleTargetInput): events.IRuleTarget {
  return {
    bind: (rule) => {
      const eventBridge = new iam.ServicePrincipal('events.amazonaws.com');
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [eventBridge],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleRef.ruleArn } },
        }),
      );
      topic.masterKey?.grant(eventBridge, 'kms:Decrypt', 'kms:GenerateDataKey*');
      return { arn: topic.topicArn, input: message, targetResource: topic };
    },
  };
}
