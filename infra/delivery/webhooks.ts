import { SecretValue } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import type { PollerDeliveries } from './delivery-target.js';
import { guardAgainstReplay } from './replay-guard.js';
import {
  DEFAULT_RATE_LIMIT,
  PAGERDUTY_EVENTS_URL,
  type PollerWebhook,
  type WebhookAuth,
  type WebhookSecretRef,
} from './webhook-props.js';

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

/** A secret reference as a CloudFormation dynamic reference: resolved at deploy, never stored. */
function secretReference(ref: WebhookSecretRef): SecretValue {
  return SecretValue.secretsManager(
    ref.secret,
    ref.field === undefined ? {} : { jsonField: ref.field },
  );
}

/** The Slack incoming-webhook body: one line of text naming the event, customer and time. */
function slackTemplate(): Record<string, unknown> {
  const f = PRESET_FIELDS;
  return {
    text: `Capillary <${f.eventName}> for customer <${f.customerId}> (org <${f.orgId}>) at <${f.time}>`,
  };
}

/**
 * The PagerDuty Events API v2 `trigger` body. The routing key is not here: the connection adds it
 * as a secret body parameter. The event key de-duplicates redelivered events in PagerDuty.
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

function authorization(webhook: PollerWebhook): events.Authorization {
  const auth: WebhookAuth | undefined = webhook.auth;
  if (auth?.apiKey !== undefined) {
    return events.Authorization.apiKey(auth.apiKey.header, secretReference(auth.apiKey));
  }
  if (auth?.basic !== undefined) {
    return events.Authorization.basic(auth.basic.username, secretReference(auth.basic));
  }
  if (auth?.oauthClientCredentials !== undefined) {
    const oauth = auth.oauthClientCredentials;
    return events.Authorization.oauth({
      authorizationEndpoint: oauth.tokenUrl,
      httpMethod: events.HttpMethod.POST,
      clientId: oauth.clientId,
      clientSecret: secretReference(oauth),
      bodyParameters: {
        grant_type: events.HttpParameter.fromString('client_credentials'),
        ...(oauth.scope === undefined
          ? {}
          : { scope: events.HttpParameter.fromString(oauth.scope) }),
      },
    });
  }
  // Presets authenticate by URL (Slack) or routing key (PagerDuty), but a connection must name an
  // authorization: a fixed, non-secret header that identifies the sender.
  return events.Authorization.apiKey(
    'X-Capillary-Poller-Webhook',
    SecretValue.unsafePlainText(webhook.name),
  );
}

export interface WebhookProps {
  readonly webhook: PollerWebhook;
  readonly eventBus: events.IEventBus;
  /** The poller's entry `source`. */
  readonly eventSource: string;
  /** Adds the target with its retry policy, dead-letter queue and alarms. */
  readonly deliveries: PollerDeliveries;
}

/**
 * One webhook: a connection (credentials kept by EventBridge in Secrets Manager, read here by
 * reference), an API destination, and a replay-guarded rule delivering to it.
 */
export class Webhook extends Construct {
  public readonly connection: events.Connection;
  public readonly destination: events.ApiDestination;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: WebhookProps) {
    super(scope, id);
    const { webhook } = props;
    const preset = webhook.preset;

    this.connection = new events.Connection(this, 'Connection', {
      description: `capillary-event-poller webhook ${webhook.name}`,
      authorization: authorization(webhook),
      ...(preset === 'pagerduty' && webhook.routingKey !== undefined
        ? {
            bodyParameters: {
              routing_key: events.HttpParameter.fromSecret(secretReference(webhook.routingKey)),
            },
          }
        : {}),
    });

    const url = webhook.url ?? PAGERDUTY_EVENTS_URL;
    this.destination = new events.ApiDestination(this, 'Destination', {
      description: `capillary-event-poller webhook ${webhook.name}`,
      connection: this.connection,
      // A URL that is itself a credential stays a dynamic reference, resolved at deploy.
      endpoint: typeof url === 'string' ? url : secretReference(url).unsafeUnwrap(),
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: webhook.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT[preset ?? 'custom'],
    });

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

    props.deliveries.addTarget(
      'webhook',
      webhook.name,
      this.rule,
      new targets.ApiDestination(this.destination, { event: webhookInput(webhook) }),
      { retryAttempts: webhook.retryAttempts, maxEventAge: webhook.maxEventAge },
    );
  }
}

/** The request body: the preset's, the template, or (neither) the whole event. */
function webhookInput(webhook: PollerWebhook): events.RuleTargetInput | undefined {
  if (webhook.preset === 'slack') return templateInput(slackTemplate());
  if (webhook.preset === 'pagerduty') {
    return templateInput(pagerDutyTemplate(webhook.severity ?? 'warning'));
  }
  const template = webhook.inputTemplate;
  if (template === undefined) return undefined;
  return template instanceof events.RuleTargetInput ? template : templateInput(template);
}
