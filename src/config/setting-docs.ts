import type { SettingName } from './setting-schemas.js';

/**
 * What each setting does, for people: the README's settings table and the CDK context table are
 * generated from these beside the schemas' defaults and ranges (`npm run schema`). Kept apart from
 * the schemas so the Lambda bundle does not carry the prose; typed by `SettingName` so a new
 * setting cannot go undocumented.
 */
export interface SettingDoc {
  /** What the setting does. Its default and range are added from the schema. */
  readonly description: string;
  /** What an unset value means, for settings whose schema has no default. */
  readonly unset?: string;
  /** The accepted values, for settings that are neither numbers nor a list of choices. */
  readonly allowed?: string;
}

export const SETTING_DOCS: Record<SettingName, SettingDoc> = {
  CAPILLARY_BASE_URL: {
    description: 'the Capillary API host, e.g. `https://eu.api.capillarytech.com`',
    unset: 'the built-in sandbox (CLI only)',
    allowed: '`https://` only; plain `http://` to loopback hosts only',
  },
  CAPILLARY_AUTH: {
    description:
      '`basic`: till username and password, sent as `base64(username:md5hex(password))`; `oauth`: client key and secret',
  },
  CAPILLARY_USERNAME: { description: 'Basic credentials: the till username', allowed: 'not empty' },
  CAPILLARY_PASSWORD: { description: 'Basic credentials: the till password', allowed: 'not empty' },
  CAPILLARY_CLIENT_KEY: { description: 'OAuth client key', allowed: 'not empty' },
  CAPILLARY_CLIENT_SECRET: {
    description:
      'OAuth client secret; the token is reused until shortly before its `ttlSeconds` runs out and regenerated once on a 401',
    allowed: 'not empty',
  },
  CAPILLARY_SECRET_ARN: {
    description:
      'Lambda: a Secrets Manager secret holding `{"username","password"}` or `{"clientKey","clientSecret"}`, read at run time and cached 5 minutes',
    allowed: 'an ARN',
  },
  CAPILLARY_EVENTS_PATH: {
    description:
      'path and query template, `{customerId}` URL-encoded when filled. `scope=child` is appended for customers watched so. A path form such as `/v2/customers/{customerId}/events` works too',
    allowed: 'starts with `/`, contains `{customerId}`',
  },
  CAPILLARY_TIMEOUT_MS: {
    description:
      "deadline of one HTTP request (connect, headers, body): shorter fails healthy requests, longer holds the customer's claim",
  },
  CAPILLARY_MAX_ATTEMPTS: {
    description:
      'attempts per request; network errors, 429 and 5xx are retried with jittered exponential backoff, honouring `Retry-After`',
  },
  CAPILLARY_RPS: {
    description:
      'Capillary requests per second of **every poller on the table together** (Lambda workers and any CLI `poll`; retries and token calls included), shared through the table (see "One quota" below). Capillary documents 100/minute on demo clusters: set `1.6` there',
  },
  POLL_CONCURRENCY: {
    description:
      'an upper bound on customers polled at once. Unset, the poller keeps `ceil(CAPILLARY_RPS × observed latency × 2) + 1` in flight (at most 256): enough to use the whole budget with no tuning',
    unset: 'sized automatically',
  },
  POLL_INTERVAL_SECONDS: {
    description:
      'the shortest interval between two polls of one customer, Lambda and CLI alike (CLI `poll` wakes when the next customer is due); fractions allowed',
    unset: '`60` (`5` on the sandbox)',
  },
  MAX_POLL_INTERVAL_SECONDS: {
    description:
      "the staleness bound: an idle customer's interval doubles up to this; at least `POLL_INTERVAL_SECONDS` (equal turns activity tiers off)",
    unset: '`3600`',
  },
  SWEEP_MAX_POLLS: {
    description:
      'polls per sweep at most, customers still due first in line next sweep (unset: time and quota decide)',
    unset: '–',
  },
  CLAIM_SECONDS: {
    description:
      'how long a poller holds a customer; it publishes nothing after. More than `CAPILLARY_MAX_ATTEMPTS` × (`CAPILLARY_TIMEOUT_MS` + 1 / `CAPILLARY_RPS`)',
  },
  SEEN_CAPACITY: { description: 'minimum number of recent event ids kept per customer' },
  PSI_MODE: {
    description:
      'what happens to attributes named in `psiAttributes`: masked, dropped, or passed (only if every consumer may hold PSI)',
  },
  TABLE_NAME: {
    description:
      'the DynamoDB table (watchlist and cursors). Unset together with `DYNAMODB_ENDPOINT`: embedded dynalite (CLI only)',
    unset: '`capillary-event-poller`',
    allowed: '3 to 255 letters, digits, `_`, `-` or `.`',
  },
  DYNAMODB_ENDPOINT: {
    description: 'e.g. `http://localhost:8000` for DynamoDB Local',
    unset: 'AWS',
    allowed: 'a URL, `http://` to loopback hosts only',
  },
  EVENT_BUS_NAME: {
    description: 'the bus. Unset together with `EVENTBRIDGE_ENDPOINT`: the stdout sink (CLI only)',
    unset: '`default`',
    allowed: 'a name (1 to 256 letters, digits, `.`, `_`, `-`, `/`) or its ARN',
  },
  EVENTBRIDGE_ENDPOINT: {
    description: 'a local or VPC endpoint',
    unset: 'AWS',
    allowed: 'a URL, `http://` to loopback hosts only',
  },
  EVENT_SOURCE: {
    description: "the entries' `source`",
    allowed: '1 to 256 letters, digits, `.`, `_`, `-`, `/`; not starting with `aws.`',
  },
  DLQ_URL: {
    description:
      'the SQS queue for events that can never be published. Without one, such an event stays unacknowledged and is reported by id on every poll',
    unset: '–',
    allowed:
      '`https://sqs.<region>.amazonaws.com/<account>/<queue name>`, the name 1 to 80 letters, digits, `-`, `_`',
  },
  DLQ_MAX_MESSAGE_BYTES: {
    description:
      "the queue's MaximumMessageSize. The stack's queue takes 1 MiB, so events too large for EventBridge are parked whole; a larger one is parked without its detail, with how to fetch it again",
  },
  SQS_ENDPOINT: {
    description: 'a local SQS endpoint',
    unset: 'AWS',
    allowed: 'a URL, `http://` to loopback hosts only',
  },
  WEBHOOK_QUEUES: {
    description:
      "each webhook's queue and dead-letter queue, for `dlq list|redrive|purge --webhook <name>`: the stack output `WebhookQueues` (see docs/webhooks.md)",
    unset: '–',
    allowed:
      'JSON `{"<name>": {"queueUrl": "<queue URL>", "dlqUrl": "<queue URL>"}}`, each URL as for `DLQ_URL`',
  },
  AWS_REGION: { description: 'region of the AWS clients', allowed: 'not empty' },
  LOG_LEVEL: { description: 'the lowest level logged' },
};
