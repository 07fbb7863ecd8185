import { fileURLToPath } from 'node:url';
import { Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { WebhookDeliveryConfig } from '../../src/adapters/webhook/webhook-delivery-config.js';
import { WEBHOOK_ENVELOPE_PATHS } from '../../src/adapters/webhook/webhook-envelope.js';
import { createPollerFunction } from '../polling/poller-function.js';
import type { PollerDeliveries } from './delivery-target.js';
import { guardAgainstReplay } from './replay-guard.js';
import {
  DEFAULT_RATE_LIMIT,
  PAGERDUTY_EVENTS_URL,
  type PollerWebhook,
  type WebhookAuth,
  type WebhookSecretRef,
} from './webhook-props.js';

/** The delivery function's handler: signs and POSTs the events of one webhook's queue. */
const DELIVERY_ENTRY = fileURLToPath(
  new URL('../../functions/webhook-delivery/handler.ts', import.meta.url),
);
/** One invocation's bound: a batch at the webhook's pace, each request at most `REQUEST_TIMEOUT`. */
const DELIVERY_TIMEOUT = Duration.seconds(90);
const REQUEST_TIMEOUT = Duration.seconds(10);
/** Six times the function's timeout, as AWS advises for an SQS event source. */
const QUEUE_VISIBILITY = Duration.seconds(DELIVERY_TIMEOUT.toSeconds() * 6);
/** Requests one delivery function sends per second at most; more rate means more functions. */
const REQUESTS_PER_FUNCTION = 5;
/** The event source's smallest maximum concurrency. */
const MIN_CONCURRENCY = 2;
const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_MAX_EVENT_AGE = Duration.hours(24);

/** What every preset names: the event, the customer (and org), and when it happened. */
const PRESET_FIELDS = {
  eventName: '$.detail-type',
  customerId: '$.detail.customerId',
  orgId: '$.detail.orgId',
  time: '$.time',
  eventKey: '$.detail.poller.eventKey',
  source: '$.source',
} as const;
const PLACEHOLDER = /<(\$[^<>]*)>/g;

/** The Slack incoming-webhook body: one line of text naming the event, customer and time. */
function slackTemplate(): Record<string, unknown> {
  const f = PRESET_FIELDS;
  return {
    text: `Capillary <${f.eventName}> for customer <${f.customerId}> (org <${f.orgId}>) at <${f.time}>`,
  };
}

/**
 * The PagerDuty Events API v2 `trigger` body. The routing key is not here: the delivery function
 * adds it as `routing_key`, read from its secret at run time. The event key de-duplicates
 * redelivered events in PagerDuty.
 */
function pagerDutyTemplate(severity: string): Record<string, unknown> {
  const f = PRESET_FIELDS;
  return {
    event_action: 'trigger',
    dedup_key: `<${f.eventKey}>`,
    payload: {
      summary: `Capillary <${f.eventName}> for customer <${f.customerId}>`,
      source: `<${f.source}>`,
      severity,
      timestamp: `<${f.time}>`,
      custom_details: {
        eventName: `<${f.eventName}>`,
        customerId: `<${f.customerId}>`,
        orgId: `<${f.orgId}>`,
        eventKey: `<${f.eventKey}>`,
      },
    },
  };
}

/**
 * Turns a JSON body whose strings hold `<$.path>` placeholders into an input transformer: each
 * placeholder becomes an `EventField`, which the CDK collects into the paths map.
 */
function templateInput(template: Record<string, unknown>): events.RuleTargetInput {
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.replace(PLACEHOLDER, (_, path: string) => events.EventField.fromPath(path));
    }
    if (Array.isArray(value)) return value.map(fill);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item)]));
    }
    return value;
  };
  return events.RuleTargetInput.fromObject(fill(template));
}

export interface WebhookProps {
  readonly webhook: PollerWebhook;
  readonly eventBus: events.IEventBus;
  /** The poller's entry `source`. */
  readonly eventSource: string;
  /** Adds the rule's target with its dead-letter queue and alarms. */
  readonly deliveries: PollerDeliveries;
  readonly logRetention: logs.RetentionDays;
}

/** How a webhook's rate limit is shared: functions at once, and each one's requests per second. */
function webhookPace(rateLimitPerSecond: number): {
  maxConcurrency: number;
  requestsPerSecond: number;
} {
  const maxConcurrency = Math.max(
    MIN_CONCURRENCY,
    Math.ceil(rateLimitPerSecond / REQUESTS_PER_FUNCTION),
  );
  return { maxConcurrency, requestsPerSecond: rateLimitPerSecond / maxConcurrency };
}

/**
 * One webhook: a replay-guarded rule that renders the body and queues it, the webhook's queue and
 * dead-letter queue, and a delivery function that reads its secrets at run time, signs (when
 * asked) and POSTs each event at the webhook's pace. No secret value is in the template.
 */
export class Webhook extends Construct {
  public readonly rule: events.Rule;
  /** Deliveries waiting for their (next) attempt. */
  public readonly queue: sqs.Queue;
  /** Deliveries that were refused, too old or out of retries, each with why. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deliveryFunction: nodejs.NodejsFunction;
  public readonly deliveryRole: iam.Role;

  constructor(scope: Construct, id: string, props: WebhookProps) {
    super(scope, id);
    const { webhook } = props;
    const preset = webhook.preset;

    this.rule = new events.Rule(this, 'Rule', {
      eventBus: props.eventBus,
      enabled: webhook.enabled ?? true,
      description: `Webhook ${webhook.name}: ${webhook.eventNames.join(', ')}`.slice(0, 512),
      eventPattern: guardAgainstReplay(
        {
          source: [props.eventSource],
          detailType: [...webhook.eventNames],
          ...(webhook.detail === undefined ? {} : { detail: webhook.detail }),
        },
        webhook.onReplay,
      ),
    });
    // Beside the rule, where the API-destination webhooks kept theirs: same logical ID, so an
    // upgrade keeps the events parked on it.
    this.deadLetterQueue = new sqs.Queue(this.rule, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is the dead-letter queue of the webhook ${webhook.name}: EventBridge and its delivery function park undeliverable events on it, so nothing is behind it.`,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: QUEUE_VISIBILITY,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        // The first attempt and `retryAttempts` retries; the age limit is the function's.
        maxReceiveCount: (webhook.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS) + 1,
      },
    });

    const rate = webhook.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT[preset ?? 'custom'];
    const pace = webhookPace(rate);
    const config: WebhookDeliveryConfig = {
      name: webhook.name,
      url:
        webhook.url === undefined
          ? PAGERDUTY_EVENTS_URL
          : typeof webhook.url === 'string'
            ? webhook.url
            : secretRef(webhook.url),
      ...(webhook.auth === undefined ? {} : { auth: deliveryAuth(webhook.auth) }),
      ...(webhook.routingKey === undefined ? {} : { routingKey: secretRef(webhook.routingKey) }),
      ...(webhook.signing === undefined ? {} : { signing: secretRef(webhook.signing) }),
      maxEventAgeSeconds: (webhook.maxEventAge ?? DEFAULT_MAX_EVENT_AGE).toSeconds(),
      requestsPerSecond: pace.requestsPerSecond,
      timeoutMs: REQUEST_TIMEOUT.toMilliseconds(),
      queueUrl: this.queue.queueUrl,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
    };
    const { fn, role } = createPollerFunction(this, 'Delivery', {
      description: `Delivers the ${webhook.name} webhook's events (capillary-event-poller)`,
      roleDescription: `capillary-event-poller webhook ${webhook.name}: its queues, its secrets and logs`,
      entry: DELIVERY_ENTRY,
      logRetention: props.logRetention,
      memorySize: 256,
      timeout: DELIVERY_TIMEOUT,
      environment: {
        // Names secrets, never holds their values: the function reads them at run time.
        WEBHOOK_DELIVERY: Stack.of(this).toJsonString(config),
        POWERTOOLS_SERVICE_NAME: `webhook-${webhook.name}`,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    this.deliveryFunction = fn;
    this.deliveryRole = role;
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxConcurrency: pace.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.deadLetterQueue.grantSendMessages(role);
    webhookSecretRefs(webhook).forEach((ref, index) => {
      importSecret(this, `Secret${index}`, ref.secret).grantRead(role);
    });

    props.deliveries.addTarget(
      'webhook',
      webhook.name,
      this.rule,
      new targets.SqsQueue(this.queue, { message: new WebhookEnvelopeInput(webhookBody(webhook)) }),
      { deadLetterQueue: this.deadLetterQueue },
    );
  }
}

/** The auth the delivery function applies: only the fields it reads (its schema is strict). */
function deliveryAuth(auth: WebhookAuth): WebhookDeliveryConfig['auth'] {
  if (auth.apiKey !== undefined) {
    return { apiKey: { header: auth.apiKey.header, ...secretRef(auth.apiKey) } };
  }
  if (auth.basic !== undefined) {
    return { basic: { username: auth.basic.username, ...secretRef(auth.basic) } };
  }
  const oauth = auth.oauthClientCredentials as NonNullable<WebhookAuth['oauthClientCredentials']>;
  return {
    oauthClientCredentials: {
      tokenUrl: oauth.tokenUrl,
      clientId: oauth.clientId,
      ...(oauth.scope === undefined ? {} : { scope: oauth.scope }),
      ...secretRef(oauth),
    },
  };
}

function secretRef(ref: WebhookSecretRef): WebhookSecretRef {
  return ref.field === undefined
    ? { secret: ref.secret }
    : { secret: ref.secret, field: ref.field };
}

/** Every secret the webhook names, once each. */
function webhookSecretRefs(webhook: PollerWebhook): WebhookSecretRef[] {
  const auth = webhook.auth;
  const refs = [
    typeof webhook.url === 'object' ? webhook.url : undefined,
    auth?.apiKey,
    auth?.basic,
    auth?.oauthClientCredentials,
    webhook.routingKey,
    webhook.signing,
  ].filter((ref): ref is WebhookSecretRef => ref !== undefined);
  const seen = new Set<string>();
  return refs.filter((ref) => {
    const key = Token.isUnresolved(ref.secret) ? `token:${refs.indexOf(ref)}` : ref.secret;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A secret named by name or ARN, for a grant of GetSecretValue on it alone. */
function importSecret(scope: Construct, id: string, secret: string): secretsmanager.ISecret {
  if (Token.isUnresolved(secret))
    return secretsmanager.Secret.fromSecretCompleteArn(scope, id, secret);
  if (secret.startsWith('arn:')) {
    // A complete ARN ends with the 6 characters Secrets Manager adds to the name.
    return /-[A-Za-z0-9]{6}$/.test(secret)
      ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, secret)
      : secretsmanager.Secret.fromSecretPartialArn(scope, id, secret);
  }
  return secretsmanager.Secret.fromSecretNameV2(scope, id, secret);
}

/** The request body: the preset's, the template, or (neither) the whole event. */
function webhookBody(webhook: PollerWebhook): events.RuleTargetInput | undefined {
  if (webhook.preset === 'slack') return templateInput(slackTemplate());
  if (webhook.preset === 'pagerduty') {
    return templateInput(pagerDutyTemplate(webhook.severity ?? 'warning'));
  }
  const template = webhook.inputTemplate;
  if (template === undefined) return undefined;
  return template instanceof events.RuleTargetInput ? template : templateInput(template);
}

/**
 * The queue message: the rendered body wrapped with the event key (the delivery's `webhook-id`),
 * time, event name and customer (src/adapters/webhook/webhook-envelope.ts reads it).
 */
class WebhookEnvelopeInput extends events.RuleTargetInput {
  constructor(private readonly body: events.RuleTargetInput | undefined) {
    super();
  }

  public bind(rule: events.IRule): events.RuleTargetInputProperties {
    const paths = {
      webhookId: WEBHOOK_ENVELOPE_PATHS.id,
      webhookTime: WEBHOOK_ENVELOPE_PATHS.time,
      webhookEventName: WEBHOOK_ENVELOPE_PATHS.eventName,
      webhookCustomerId: WEBHOOK_ENVELOPE_PATHS.customerId,
    };
    const head =
      '{"id":<webhookId>,"time":<webhookTime>,"eventName":<webhookEventName>,"customerId":<webhookCustomerId>,"body":';
    if (this.body === undefined) {
      return { inputTemplate: `${head}<aws.events.event.json>}`, inputPathsMap: paths };
    }
    const inner = this.body.bind(rule);
    if (inner.inputTemplate !== undefined) {
      return {
        inputTemplate: `${head}${inner.inputTemplate}}`,
        inputPathsMap: { ...inner.inputPathsMap, ...paths },
      };
    }
    if (inner.inputPath !== undefined) {
      return {
        inputTemplate: `${head}<webhookBody>}`,
        inputPathsMap: { ...paths, webhookBody: inner.inputPath },
      };
    }
    return { inputTemplate: `${head}${inner.input ?? 'null'}}`, inputPathsMap: paths };
  }
}
