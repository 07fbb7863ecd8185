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

/** How EventBridge authenticates to the endpoint: exactly one of the three. */
export interface WebhookAuth {
  /** An API key sent in a header, e.g. `{ header: 'x-api-key', secret: 'orders/api-key' }`. */
  readonly apiKey?: WebhookSecretRef & { readonly header: string };
  /** HTTP basic auth: the username here, the password in the secret. */
  readonly basic?: WebhookSecretRef & { readonly username: string };
  /**
   * OAuth 2 client credentials: EventBridge fetches and refreshes the token itself. The client
   * secret is in the secret; the client id and token URL are not secrets.
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

/** One webhook: the poller's events, filtered, POSTed to an HTTPS endpoint by EventBridge. */
export interface PollerWebhook {
  /** Names the rule, connection, destination and alarms: 1 to 64 letters, digits or `-`. */
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
   * (a Slack incoming webhook).
   * @default - none, required (except for the PagerDuty preset: its Events API v2 endpoint)
   */
  readonly url?: string | WebhookSecretRef;
  /**
   * How EventBridge authenticates.
   * @default - none, required (except with a preset: Slack and PagerDuty authenticate by URL and
   * routing key)
   */
  readonly auth?: WebhookAuth;
  /**
   * A ready-made body: `slack` (incoming webhook `text`) or `pagerduty` (Events API v2 `trigger`).
   * @default - none: `inputTemplate`, or the whole event
   */
  readonly preset?: WebhookPreset;
  /**
   * The PagerDuty integration's routing key (preset `pagerduty` only). EventBridge adds it to the
   * body as `routing_key` from the connection, so it is never in the template.
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
   * Requests per second EventBridge may send to the endpoint, 1 to 300.
   * @default - 1 for Slack, 2 for PagerDuty, 10 otherwise
   */
  readonly rateLimitPerSecond?: number;
  /**
   * How long EventBridge keeps retrying an event, 1 minute to 24 hours.
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

/** EventBridge's limits on API destinations and rule targets. */
export const WEBHOOK_LIMITS = {
  minRateLimit: 1,
  maxRateLimit: 300,
  maxRetryAttempts: 185,
  minMaxEventAgeSeconds: 60,
  maxMaxEventAgeSeconds: 86_400,
} as const;
