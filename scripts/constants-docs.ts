// The numbers the code holds that the docs state, each with its value read from the code, the file
// it is in and what it counts. docs/architecture.md's table lists them; every sentence that states
// one marks it (`<!-- value NAME in UNIT -->…<!-- /value -->`, see scripts/inline-values.ts), so
// `npm run schema` writes the number from here and test/docs/generated-docs.test.ts fails when a
// committed doc says another.
import { readFileSync } from 'node:fs';
import { LIMITS } from '../infra/props-validation.js';
import { SCALE_OUT_LIMITS } from '../infra/scale-out.js';
import { DEFAULT_CREDENTIALS_MAX_AGE_MS } from '../src/adapters/capillary/capillary-auth.js';
import { MAX_EVENTS_PER_RESPONSE } from '../src/adapters/capillary/capillary-responses.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../src/adapters/capillary/capillary-transport.js';
import { DEFAULT_LINGER_MS } from '../src/adapters/eventbridge/batching-publisher.js';
import {
  MAX_ENTRIES_PER_PUT_EVENTS,
  MAX_PUT_EVENTS_BYTES,
} from '../src/adapters/eventbridge/put-events-entries.js';
import { WEBHOOK_SECRET_MAX_AGE_SECONDS } from '../src/adapters/webhook/webhook-secrets.js';
import { EXIT_CUSTOMER_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from '../src/cli/cli-io.js';
import { NUMBER_RULES, type NumberRule } from '../src/config/setting-schemas.js';
import { MAX_CLOCK_SKEW_MS } from '../src/domain/claim/clock-skew.js';
import { MAX_CUSTOMER_ID } from '../src/domain/customer-state.js';
import { MAX_CURSOR_ITEM_BYTES } from '../src/domain/detect/cursor-budget.js';
import { BASELINE_SKEW_ALLOWANCE_MS } from '../src/domain/detect/detect-new-events.js';
import { MAX_EVENT_DEPTH, MAX_EVENT_JSON_BYTES } from '../src/domain/detect/event-key.js';
import { WALK_SEGMENTS } from '../src/domain/feed/backstop-walk.js';
import { FEED_MAX_BACKOFF_MS } from '../src/domain/feed/change-feed.js';
import { IN_FLIGHT_HEADROOM, MAX_IN_FLIGHT } from '../src/domain/poll/adaptive-concurrency.js';
import { CLAIM_PUBLISH_MARGIN } from '../src/domain/poll/poll-claimed.js';
import { REDRIVE_VISIBILITY_SECONDS } from '../src/domain/publish/dead-letter-redrive.js';
import { MIN_SECRET_PIECE } from '../src/domain/redaction.js';
import { CLAIMS_PER_FLUSH } from '../src/domain/schedule/schedule-tick.js';
import { CUSTOMERS_PER_MESSAGE } from '../src/domain/schedule/work-queue.js';
import { SANDBOX_INTERVAL_SECONDS } from '../src/runtime/create-runtime.js';
import {
  CURSOR_WRITE_RESERVE_MS,
  POLL_BOUND_BEYOND_TIMEOUT_MS,
  REQUESTS_END_MS,
  TICK_CLAIM_RESERVE,
} from '../src/runtime/lambda-runtime.js';
import { DEFAULT_NEW_EVENT_EVERY_MS } from '../src/sandbox/capillary-sandbox.js';
import type { StatedValue, Unit } from './inline-values.js';

interface Constant extends StatedValue {
  /** As exported from `file` (`NAME.key` for a key of an exported object). */
  readonly name: string;
  readonly file: string;
  readonly meaning: string;
}

/** `{ NAME }` of one file, with what each means: the name and value come from the import itself. */
function constants(
  file: string,
  values: Record<string, number | string>,
  meanings: Record<string, string>,
  units: Record<string, Unit> = {},
): Constant[] {
  return Object.entries(values).map(([name, value]) => ({
    name,
    value,
    file,
    meaning: meanings[name] ?? '',
    ...(units[name] ? { unit: units[name] } : {}),
  }));
}

/** The keys of an exported object `name`, each as `name.key`. */
function keysOf(
  name: string,
  file: string,
  values: Record<string, number>,
  meanings: Record<string, string>,
  units: Record<string, Unit> = {},
): Constant[] {
  return constants(
    file,
    Object.fromEntries(Object.entries(values).map(([key, value]) => [`${name}.${key}`, value])),
    Object.fromEntries(Object.entries(meanings).map(([key, text]) => [`${name}.${key}`, text])),
    Object.fromEntries(Object.entries(units).map(([key, unit]) => [`${name}.${key}`, unit])),
  );
}

/** In the order of the flow: Capillary, events, publishing, scheduling, deadlines, the CLI, the stack. */
function allConstants(): Constant[] {
  return [
    ...constants(
      'src/adapters/capillary/capillary-auth.ts',
      { DEFAULT_CREDENTIALS_MAX_AGE_MS },
      {
        DEFAULT_CREDENTIALS_MAX_AGE_MS:
          'ms loaded credentials are reused (a rotated secret is used within it)',
      },
      { DEFAULT_CREDENTIALS_MAX_AGE_MS: 'ms' },
    ),
    ...constants(
      'src/adapters/capillary/capillary-transport.ts',
      { DEFAULT_MAX_RESPONSE_BYTES },
      { DEFAULT_MAX_RESPONSE_BYTES: 'bytes of a response body read; the poll fails past it' },
      { DEFAULT_MAX_RESPONSE_BYTES: 'bytes' },
    ),
    ...constants(
      'src/adapters/capillary/capillary-responses.ts',
      { MAX_EVENTS_PER_RESPONSE },
      { MAX_EVENTS_PER_RESPONSE: 'events one response may hold; the poll fails past it' },
    ),
    ...constants(
      'src/domain/detect/event-key.ts',
      { MAX_EVENT_DEPTH, MAX_EVENT_JSON_BYTES },
      {
        MAX_EVENT_DEPTH: 'levels of nesting of one event; a deeper one is set aside',
        MAX_EVENT_JSON_BYTES: 'bytes of one event as canonical JSON; a larger one is set aside',
      },
      { MAX_EVENT_JSON_BYTES: 'bytes' },
    ),
    ...constants(
      'src/domain/customer-state.ts',
      { MAX_CUSTOMER_ID },
      { MAX_CUSTOMER_ID: 'the largest customer id (int64)' },
    ),
    ...constants(
      'src/domain/detect/detect-new-events.ts',
      { BASELINE_SKEW_ALLOWANCE_MS },
      {
        BASELINE_SKEW_ALLOWANCE_MS:
          'ms before `watch add` an event may be dated and still be published',
      },
      { BASELINE_SKEW_ALLOWANCE_MS: 'ms' },
    ),
    ...constants(
      'src/domain/detect/cursor-budget.ts',
      { MAX_CURSOR_ITEM_BYTES },
      { MAX_CURSOR_ITEM_BYTES: "bytes of a customer's cursor item, by DynamoDB's item-size rules" },
      { MAX_CURSOR_ITEM_BYTES: 'bytes' },
    ),
    ...constants(
      'src/domain/redaction.ts',
      { MIN_SECRET_PIECE },
      {
        MIN_SECRET_PIECE: 'characters: the shortest piece of a secret removed where a text was cut',
      },
    ),
    ...constants(
      'src/domain/feed/change-feed.ts',
      { FEED_MAX_BACKOFF_MS },
      {
        FEED_MAX_BACKOFF_MS:
          'ms, at most, between the reads of a failing change feed (or an org without the log)',
      },
      { FEED_MAX_BACKOFF_MS: 'ms' },
    ),
    ...constants(
      'src/domain/feed/backstop-walk.ts',
      { WALK_SEGMENTS },
      {
        WALK_SEGMENTS:
          'scan segments of one pass of the backstop walk, which finds customers off the due index',
      },
    ),
    ...constants(
      'src/domain/claim/clock-skew.ts',
      { MAX_CLOCK_SKEW_MS },
      { MAX_CLOCK_SKEW_MS: 'ms of clock skew tolerated between pollers' },
      { MAX_CLOCK_SKEW_MS: 'ms' },
    ),
    ...constants(
      'src/domain/poll/adaptive-concurrency.ts',
      { MAX_IN_FLIGHT, IN_FLIGHT_HEADROOM },
      {
        MAX_IN_FLIGHT: 'customers in flight at most, whatever the budget and latency',
        IN_FLIGHT_HEADROOM: "the factor on Little's law's in-flight figure (rate × latency)",
      },
    ),
    ...constants(
      'src/adapters/eventbridge/put-events-entries.ts',
      { MAX_ENTRIES_PER_PUT_EVENTS, MAX_PUT_EVENTS_BYTES },
      {
        MAX_ENTRIES_PER_PUT_EVENTS: 'entries in one PutEvents request',
        MAX_PUT_EVENTS_BYTES: 'bytes of one PutEvents request, as the sum of its entry sizes',
      },
      { MAX_PUT_EVENTS_BYTES: 'bytes' },
    ),
    ...constants(
      'src/adapters/eventbridge/batching-publisher.ts',
      { DEFAULT_LINGER_MS },
      { DEFAULT_LINGER_MS: 'ms an entry waits for others to share its PutEvents request' },
      { DEFAULT_LINGER_MS: 'ms' },
    ),
    ...constants(
      'src/adapters/webhook/webhook-secrets.ts',
      { WEBHOOK_SECRET_MAX_AGE_SECONDS },
      {
        WEBHOOK_SECRET_MAX_AGE_SECONDS:
          "s a webhook's secret is reused (a rotated one is used within it)",
      },
      { WEBHOOK_SECRET_MAX_AGE_SECONDS: 's' },
    ),
    ...constants(
      'src/domain/schedule/work-queue.ts',
      { CUSTOMERS_PER_MESSAGE },
      { CUSTOMERS_PER_MESSAGE: 'claimed customers in one work message' },
    ),
    ...constants(
      'src/domain/schedule/schedule-tick.ts',
      { CLAIMS_PER_FLUSH },
      { CLAIMS_PER_FLUSH: 'claims the scheduler sends at once (one SendMessageBatch)' },
    ),
    ...keysOf(
      'CLAIM_PUBLISH_MARGIN',
      'src/domain/poll/poll-claimed.ts',
      CLAIM_PUBLISH_MARGIN,
      {
        share: 'share of what remains of its claim in which a poll publishes nothing',
        atMostMs: 'ms, at most, before its claim ends that a poll stops publishing',
      },
      { share: 'share', atMostMs: 'ms' },
    ),
    ...constants(
      'src/runtime/lambda-runtime.ts',
      { POLL_BOUND_BEYOND_TIMEOUT_MS, CURSOR_WRITE_RESERVE_MS, REQUESTS_END_MS },
      {
        POLL_BOUND_BEYOND_TIMEOUT_MS:
          'ms one poll may take beyond its request timeout: a worker starts no poll in its last request timeout plus this (at most half of its time)',
        CURSOR_WRITE_RESERVE_MS:
          "ms at the end of a worker's invocation in which nothing is fetched, published or parked (the cursor write's)",
        REQUESTS_END_MS: "ms before an invocation's end by which every request is over",
      },
      { POLL_BOUND_BEYOND_TIMEOUT_MS: 'ms', CURSOR_WRITE_RESERVE_MS: 'ms', REQUESTS_END_MS: 'ms' },
    ),
    ...keysOf(
      'TICK_CLAIM_RESERVE',
      'src/runtime/lambda-runtime.ts',
      TICK_CLAIM_RESERVE,
      {
        share: "share of a scheduler tick's time, at its end, in which it claims nothing",
        atLeastMs: 'ms, at least, before its end that a scheduler tick stops claiming',
      },
      { share: 'share', atLeastMs: 'ms' },
    ),
    ...constants(
      'src/domain/publish/dead-letter-redrive.ts',
      { REDRIVE_VISIBILITY_SECONDS },
      { REDRIVE_VISIBILITY_SECONDS: 's messages read by one `dlq redrive` stay hidden' },
      { REDRIVE_VISIBILITY_SECONDS: 's' },
    ),
    ...constants(
      'src/cli/cli-io.ts',
      { EXIT_OK, EXIT_CUSTOMER_FAILED, EXIT_USAGE, EXIT_INTERRUPTED },
      {
        EXIT_OK: 'exit code: done',
        EXIT_CUSTOMER_FAILED: 'exit code: something was not done (a customer, an event)',
        EXIT_USAGE: 'exit code: bad settings or usage, nothing done',
        EXIT_INTERRUPTED: 'exit code: a second Ctrl-C stopped the command at once',
      },
    ),
    ...constants(
      'src/runtime/create-runtime.ts',
      { SANDBOX_INTERVAL_SECONDS },
      { SANDBOX_INTERVAL_SECONDS: 's between polls of `npm start` on the sandbox' },
      { SANDBOX_INTERVAL_SECONDS: 's' },
    ),
    ...constants(
      'src/sandbox/capillary-sandbox.ts',
      { DEFAULT_NEW_EVENT_EVERY_MS },
      { DEFAULT_NEW_EVENT_EVERY_MS: 'ms between the new events the sandbox adds' },
      { DEFAULT_NEW_EVENT_EVERY_MS: 'ms' },
    ),
    ...keysOf(
      'SCALE_OUT_LIMITS',
      'infra/scale-out.ts',
      { minWorkers: SCALE_OUT_LIMITS.minWorkers, maxWorkers: SCALE_OUT_LIMITS.maxWorkers },
      {
        minWorkers: 'workers at least (an SQS event source’s maximum concurrency)',
        maxWorkers: 'workers at most (an SQS event source’s maximum concurrency)',
      },
    ),
    ...keysOf(
      'LIMITS',
      'infra/props-validation.ts',
      { maxAlertAttributes: LIMITS.maxAlertAttributes },
      { maxAlertAttributes: '`detail.attributes` entries an alert prints at most' },
    ),
  ];
}

/** `package.json`'s `engines.node`, without its `>=`: the oldest Node the CLI supports. */
function nodeEngine(root: URL): Constant {
  const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  return {
    name: 'engines.node',
    value: String(manifest.engines.node).replace(/^>=/, ''),
    file: 'package.json',
    meaning: 'the oldest Node version the CLI runs on',
  };
}

/** What a setting counts, by its name's suffix. */
function settingUnit(name: string): Unit | undefined {
  if (name.endsWith('_MS')) return 'ms';
  if (name.endsWith('_SECONDS')) return 's';
  if (name.endsWith('_BYTES')) return 'bytes';
  if (name.endsWith('_SHARE')) return 'share';
  return undefined;
}

/**
 * Every number setting's default and range as the docs may state them (`SEEN_CAPACITY.default`,
 * `CLAIM_SECONDS.max`...): docs/settings.md's table lists them all, so they are not repeated in
 * the table of constants.
 */
export function settingValues(): StatedValue[] {
  return Object.entries(NUMBER_RULES).flatMap(([setting, rule]: [string, NumberRule]) => {
    const unit = settingUnit(setting);
    const value = (end: string, number: number | undefined): StatedValue[] =>
      number === undefined
        ? []
        : [{ name: `${setting}.${end}`, value: number, ...(unit ? { unit } : {}) }];
    return [
      ...value('default', rule.default),
      ...value('min', rule.min.value),
      ...value('max', rule.max.value),
    ];
  });
}

/**
 * Every constant the docs state, by name, checked to be exported where it says (so a constant
 * that moves fails `npm run schema` instead of leaving a wrong path), and package.json's Node
 * version.
 */
export function statedConstants(root: URL): Constant[] {
  for (const { name, file } of allConstants()) {
    const exported = name.split('.')[0];
    const source = readFileSync(new URL(file, root), 'utf8');
    if (!new RegExp(`export (const|function) ${exported}\\b`).test(source)) {
      throw new Error(
        `${exported} is no longer exported by ${file}: update scripts/constants-docs.ts`,
      );
    }
  }
  return [...allConstants(), nodeEngine(root)];
}

/** Table rows: constant, value, where, meaning. */
export function constantsRows(root: URL): string[][] {
  return statedConstants(root).map(({ name, value, file, meaning }) => [
    `\`${name}\``,
    `\`${value}\``,
    `\`${file}\``,
    meaning,
  ]);
}
