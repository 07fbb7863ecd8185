import type { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';

/**
 * A Secrets Manager secret the deploy reads by reference (`{{resolve:secretsmanager:...}}`), so
 * its value never appears in the template: the secret's name or ARN, and a JSON key when the
 * secret holds JSON.
 */
export interface WebhookSecretRef {
  /** The secret's name or ARN. */
  readonly secret: string;
  /**
   * The key of the value when the secret holds JSON.
   * @default - the whole secret string
   */
  readonly field?: string;
}

/**
 * How the delivery function authenticates to the endpoint: exactly one of the three, each secret
 * read at run time.
 */
export interface WebhookAuth {
  /** An API key sent in a header, e.g. `{ header: 'x-api-key', secret: 'orders/api-key' }`. */
  readonly apiKey?: WebhookSecretRef & { readonly header: string };
  /** HTTP basic auth: the username here, the password in the secret. */
  readonly basic?: WebhookSecretRef & { readonly username: string };
  /**
   * OAuth 2 client credentials: the delivery function fetches the token with the client secret
   * (in the secret) and reuses it until shortly before it expires.
   */
  readonly oauthClientCredentials?: WebhookSecretRef & {
    readonly tokenUrl: string;
    readonly clientId: string;
    /** @default - none */
    readonly scope?: string;
  };
}

export type WebhookPreset = 'slack' | 'pagerduty';
export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

/**
 * One webhook: the poller's events, filtered by a rule, queued, and POSTed to an HTTPS endpoint by
 * the webhook's delivery function (retries, rate limit, dead-letter queue, optional signature).
 */
export interface PollerWebhook {
  /** Names the rule, queues, function and alarms: 1 to 64 letters, digits or `-`. */
  readonly name: string;
  /** The Capillary event names (entry `detail-type`s) to deliver (at least one). */
  readonly eventNames: readonly string[];
  /**
   * An EventBridge content filter on the entry's `detail`.
   * @default - every event with those names
   */
  readonly detail?: Record<string, unknown>;
  /**
   * The endpoint, https only; or a secret holding it, for URLs that carry their own credential
   * (Slack, Teams, Discord, Google Chat, a `?token=`): those are refused here, so they never reach
   * the template. The delivery function reads the secret at run time.
   * @default - none, required (except for the PagerDuty preset: its Events API v2 endpoint)
   */
  readonly url?: string | WebhookSecretRef;
  /**
   * How the delivery function authenticates.
   * @default - none, required unless the webhook is signed or uses a preset (Slack and PagerDuty
   * authenticate by URL and routing key)
   */
  readonly auth?: WebhookAuth;
  /**
   * Signs every delivery the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
   * `webhook-signature`): the secret holds the `whsec_…` signing secret. See docs/webhooks.md.
   * @default - not signed
   */
  readonly signing?: WebhookSecretRef;
  /**
   * A ready-made body: `slack` (incoming webhook `text`) or `pagerduty` (Events API v2 `trigger`).
   * @default - none: `inputTemplate`, or the whole event
   */
  readonly preset?: WebhookPreset;
  /**
   * The PagerDuty integration's routing key (preset `pagerduty` only). The delivery function reads
   * it at run time and adds it to each body as `routing_key`, so it is never in the template.
   * @default - none, required for `pagerduty`
   */
  readonly routingKey?: WebhookSecretRef;
  /**
   * PagerDuty severity (preset `pagerduty` only).
   * @default 'warning'
   */
  readonly severity?: PagerDutySeverity;
  /**
   * The JSON body: an object whose strings may hold `<$.path>` placeholders, filled from the
   * event, e.g. `{ "customer": "<$.detail.customerId>", "event": "<$.detail-type>" }`. A
   * `RuleTargetInput` is accepted too.
   * @default - the whole event
   */
  readonly inputTemplate?: Record<string, unknown> | events.RuleTargetInput;
  /**
   * Requests per second sent to the endpoint, 1 to 300: the delivery functions at once
   * (`max(2, ceil(rate / 5))`) each pace their requests to their share.
   * @default - 1 for Slack, 2 for PagerDuty, 10 otherwise
   */
  readonly rateLimitPerSecond?: number;
  /**
   * How long an event is retried after it was queued, 1 minute to 24 hours; then it is parked.
   * @default Duration.hours(24)
   */
  readonly maxEventAge?: Duration;
  /**
   * Retries before the event goes to the webhook's dead-letter queue, 0 to 185.
   * @default 185
   */
  readonly retryAttempts?: number;
  /**
   * Whether events replayed from the archive are delivered too.
   * @default false
   */
  readonly onReplay?: boolean;
  /**
   * Whether the rule is enabled.
   * @default true
   */
  readonly enabled?: boolean;
}

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export const WEBHOOK_PRESETS: readonly WebhookPreset[] = ['slack', 'pagerduty'];
export const PAGERDUTY_SEVERITIES: readonly PagerDutySeverity[] = [
  'critical',
  'error',
  'warning',
  'info',
];
export const DEFAULT_RATE_LIMIT: Record<WebhookPreset | 'custom', number> = {
  slack: 1,
  pagerduty: 2,
  custom: 10,
};

/** The webhook's limits (EventBridge's own for API destinations and rule targets, kept). */
export const WEBHOOK_LIMITS = {
  minRateLimit: 1,
  maxRateLimit: 300,
  maxRetryAttempts: 185,
  minMaxEventAgeSeconds: 60,
  maxMaxEventAgeSeconds: 86_400,
} as const;
