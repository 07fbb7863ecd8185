import { DEFAULT_CREDENTIALS_MAX_AGE_MS } from '../adapters/capillary/capillary-auth.js';
import { LOOKUP_RETRY_AFTER_FAILURE_MS } from '../domain/feed/identifier-lookup.js';
import { IN_FLIGHT_HEADROOM, MAX_IN_FLIGHT } from '../domain/poll/adaptive-concurrency.js';
import type { SettingName } from './setting-schemas.js';

/**
 * What each setting does, for people: docs/settings.md's settings table and the CDK context table
 * are generated from these beside the schemas' defaults and ranges (`npm run schema`). Kept apart from
 * the schemas so the Lambda bundle does not carry the prose; typed by `SettingName` so a new
 * setting cannot go undocumented. A number of the code they state is interpolated from its
 * constant, so the table cannot state another.
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
    description:
      'the Capillary API host, e.g. `https://eu.api.capillarytech.com`. CLI: once anything real is set, required by `poll` (never the sandbox with real state)',
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
    description: `Lambda: a Secrets Manager secret holding \`{"username","password"}\` or \`{"clientKey","clientSecret"}\`, read at run time and cached ${DEFAULT_CREDENTIALS_MAX_AGE_MS / 60_000} minutes`,
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
    description: `an upper bound on customers polled at once. Unset, the poller keeps \`ceil(CAPILLARY_RPS × observed latency × ${IN_FLIGHT_HEADROOM}) + 1\` in flight (at most ${MAX_IN_FLIGHT}): enough to use the whole budget with no tuning`,
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
  CHANGE_FEED: {
    description:
      "`on`: read Capillary's org-wide event log (`GET /v2/events/logs`) to poll a customer with a new event now, ahead of its schedule. An org without the log (404) or a failing log degrades to schedule-only polling with one warning",
  },
  CHANGE_FEED_INTERVAL_SECONDS: { description: 'how often the change feed reads the event log' },
  CHANGE_FEED_MAX_SHARE: {
    description:
      "the change feed's share of `CAPILLARY_RPS`: one read sends at most share × `CAPILLARY_RPS` × `CHANGE_FEED_INTERVAL_SECONDS` requests",
  },
  CHANGE_FEED_BACKSTOP_SECONDS: {
    description:
      'with a healthy change feed, the staleness bound of a customer whose identifier the feed knows (its events hint it when it is active): its idle interval doubles up to this instead of `MAX_POLL_INTERVAL_SECONDS`, never shorter, and it leaves the due index: a walk of the table, a pass every quarter of this, claims it before its bound. While the feed is down, the walk claims those customers by `MAX_POLL_INTERVAL_SECONDS` again as it reaches them (within a pass)',
  },
  CHANGE_FEED_HINT_MAX_SHARE: {
    description:
      'the most of a tick (or of a sweep capped by `SWEEP_MAX_POLLS`) that customers hinted by the change feed take, before the schedule; the rest keeps the staleness bound of customers the feed never mentions',
  },
  CHANGE_FEED_LAG_SECONDS: {
    description:
      'lag allowance: each read starts this long before where the last one stopped, for records that appear late (undocumented: a safe default). Records are counted once by id',
  },
  CHANGE_FEED_LOOK_BACK_SECONDS: {
    description:
      'how far back the first read of a new feed goes, to learn identifiers from recent history',
  },
  CHANGE_FEED_LIMIT: {
    description:
      "`limit` of each request (the log's largest is undocumented: a safe default). A response this full is split in halves and asked again; keep it at most what the cluster honours",
  },
  CHANGE_FEED_PATH: {
    description:
      'path (and fixed query) of the event log; `from_date`, `to_date`, `limit` and `event_name` are added URL-encoded',
    allowed: 'starts with `/`',
  },
  CHANGE_FEED_DATE_FORMAT: {
    description:
      'how `from_date`/`to_date` are written (undocumented: a safe default): epoch ms, epoch seconds, ISO-8601 UTC, or `datetime` (`2025-09-18 05:03:50`, UTC)',
  },
  CHANGE_FEED_EVENT_NAMES: {
    description: 'read only these events of the log (`event_name`, one request per name and slice)',
    unset: 'every event',
    allowed: 'names separated by commas',
  },
  CHANGE_FEED_IDENTIFIER_FIELDS: {
    description:
      "fields of a record's `inputRequest` holding the customer's identifier (mobile, email, external id); only a keyed hash of a value is stored",
    allowed: 'names separated by commas',
  },
  CHANGE_FEED_LOOKUP: {
    description:
      "`on`: identifier values of log records no watched customer is known by are resolved through Capillary's customer lookup (`GET /v2/customers/lookup/customerDetails`), a few per read; a watched customer found is learned (hashed) and polled now. Spends quota, and needs read access to Capillary's customer APIs",
  },
  CHANGE_FEED_LOOKUPS_PER_READ: {
    description:
      'distinct identifier values looked up per read at most (one request each, retries aside, beside the feed share); the values seen in most records go first',
  },
  CHANGE_FEED_LOOKUP_NEGATIVE_SECONDS: {
    description: `how long a value that names no customer, or one not watched, is not looked up again. Remembered in the feed's memory only (a new process may ask once more); a failed lookup is asked again after ${LOOKUP_RETRY_AFTER_FAILURE_MS / 60_000} minutes`,
  },
  CHANGE_FEED_LOOKUP_SOURCE: {
    description: "the lookup's `source`: where the customer's identifiers are registered",
    allowed: 'a Capillary source in capitals: `INSTORE`, `MARTJACK`, `WECHAT`, `ALL`, ...',
  },
  CHANGE_FEED_LOOKUP_IDENTIFIER: {
    description:
      "the lookup's `identifierName`; `auto`: `email` for a value with `@`, `mobile` for 7 to 15 digits, else `externalId`",
  },
  IDENTIFIER_KEY_SECRET_ARN: {
    description:
      'Lambda: a Secrets Manager secret holding the HMAC key (`{"identifierHashKey": "<base64 of 32+ random bytes>"}`) under which customer identifiers are hashed; the table never holds an identifier itself',
    unset: 'a key generated once under `.data/` (CLI only)',
    allowed: 'an ARN',
  },
  TABLE_NAME: {
    description:
      'the DynamoDB table (watchlist and cursors). CLI: unset with nothing real configured, embedded dynalite; once anything real is set, required by every command that uses the table',
    unset: 'embedded dynalite (CLI only)',
    allowed: '3 to 255 letters, digits, `_`, `-` or `.`',
  },
  DYNAMODB_ENDPOINT: {
    description: 'e.g. `http://localhost:8000` for DynamoDB Local',
    unset: 'AWS',
    allowed: 'a URL, `http://` to loopback hosts only',
  },
  EVENT_BUS_NAME: {
    description:
      'the bus. CLI: unset with nothing real configured, the stdout sink; once anything real is set, required by `poll` and `dlq redrive`',
    unset: 'the stdout sink (CLI only)',
    allowed: 'a name (1 to 256 letters, digits, `.`, `_`, `-`, `/`) or its ARN in `AWS_REGION`',
  },
  EVENTBRIDGE_ENDPOINT: {
    description: 'a local or VPC endpoint',
    unset: 'AWS',
    allowed: 'a URL, `http://` to loopback hosts only',
  },
  EVENT_SOURCE: {
    description: "the entries' `source`",
    allowed: '1 to 256 letters, digits, `.`, `_`, `-`, `/`; not `aws.` (in any case)',
  },
  DLQ_URL: {
    description:
      'the SQS queue for events that can never be published. Without one, such an event is kept in `.data/dead-letters/` when events go to stdout (the `dlq` commands read it there); with EventBridge it stays unacknowledged and is reported by id on every poll',
    unset: '`.data/dead-letters/` (stdout sink only)',
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
