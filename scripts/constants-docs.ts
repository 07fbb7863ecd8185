// docs/architecture.md's table of the numbers the code holds that the docs state: each constant's
// value read from the code, and the file it is in (checked when the table is made, so a constant
// that moves fails `npm run schema` instead of leaving a wrong path). The sentences of the docs
// that state these numbers are checked against them by test/docs/stated-numbers.test.ts.
import { readFileSync } from 'node:fs';
import { DEFAULT_CREDENTIALS_MAX_AGE_MS } from '../src/adapters/capillary/capillary-auth.js';
import { MAX_EVENTS_PER_RESPONSE } from '../src/adapters/capillary/capillary-responses.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../src/adapters/capillary/capillary-transport.js';
import { DEFAULT_LINGER_MS } from '../src/adapters/eventbridge/batching-publisher.js';
import {
  MAX_ENTRIES_PER_PUT_EVENTS,
  MAX_PUT_EVENTS_BYTES,
} from '../src/adapters/eventbridge/put-events-entries.js';
import { MAX_CLOCK_SKEW_MS } from '../src/domain/claim/clock-skew.js';
import { MAX_CUSTOMER_ID } from '../src/domain/customer-state.js';
import { MAX_CURSOR_ITEM_BYTES } from '../src/domain/detect/cursor-budget.js';
import { BASELINE_SKEW_ALLOWANCE_MS } from '../src/domain/detect/detect-new-events.js';
import { MAX_EVENT_DEPTH, MAX_EVENT_JSON_BYTES } from '../src/domain/detect/event-key.js';
import { MAX_IN_FLIGHT } from '../src/domain/poll/adaptive-concurrency.js';
import { claimPublishMargin } from '../src/domain/poll/poll-claimed.js';
import { REDRIVE_VISIBILITY_SECONDS } from '../src/domain/publish/dead-letter-redrive.js';
import { MIN_SECRET_PIECE } from '../src/domain/redaction.js';
import { CLAIMS_PER_FLUSH } from '../src/domain/schedule/schedule-tick.js';
import { CUSTOMERS_PER_MESSAGE } from '../src/domain/schedule/work-queue.js';
import { SANDBOX_INTERVAL_SECONDS } from '../src/runtime/create-runtime.js';
import { DEFAULT_NEW_EVENT_EVERY_MS } from '../src/sandbox/capillary-sandbox.js';

interface Constant {
  /** As exported from `file`. */
  readonly name: string;
  readonly value: number | string;
  readonly file: string;
  readonly meaning: string;
}

/** `{ NAME }` of one file, with what each means: the name and value come from the import itself. */
function constants(
  file: string,
  values: Record<string, number | string>,
  meanings: Record<string, string>,
): Constant[] {
  return Object.entries(values).map(([name, value]) => ({
    name,
    value,
    file,
    meaning: meanings[name] ?? '',
  }));
}

/** In the order of the flow: Capillary, events, publishing, scheduling, the CLI. */
function allConstants(): Constant[] {
  return [
    ...constants(
      'src/adapters/capillary/capillary-auth.ts',
      { DEFAULT_CREDENTIALS_MAX_AGE_MS },
      {
        DEFAULT_CREDENTIALS_MAX_AGE_MS:
          'ms loaded credentials are reused (a rotated secret is used within it)',
      },
    ),
    ...constants(
      'src/adapters/capillary/capillary-transport.ts',
      { DEFAULT_MAX_RESPONSE_BYTES },
      { DEFAULT_MAX_RESPONSE_BYTES: 'bytes of a response body read; the poll fails past it' },
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
    ),
    ...constants(
      'src/domain/detect/cursor-budget.ts',
      { MAX_CURSOR_ITEM_BYTES },
      { MAX_CURSOR_ITEM_BYTES: "bytes of a customer's cursor item, by DynamoDB's item-size rules" },
    ),
    ...constants(
      'src/domain/redaction.ts',
      { MIN_SECRET_PIECE },
      {
        MIN_SECRET_PIECE: 'characters: the shortest piece of a secret removed where a text was cut',
      },
    ),
    ...constants(
      'src/domain/claim/clock-skew.ts',
      { MAX_CLOCK_SKEW_MS },
      { MAX_CLOCK_SKEW_MS: 'ms of clock skew tolerated between pollers' },
    ),
    ...constants(
      'src/domain/poll/adaptive-concurrency.ts',
      { MAX_IN_FLIGHT },
      { MAX_IN_FLIGHT: 'customers in flight at most, whatever the budget and latency' },
    ),
    ...constants(
      'src/adapters/eventbridge/put-events-entries.ts',
      { MAX_ENTRIES_PER_PUT_EVENTS, MAX_PUT_EVENTS_BYTES },
      {
        MAX_ENTRIES_PER_PUT_EVENTS: 'entries in one PutEvents request',
        MAX_PUT_EVENTS_BYTES: 'bytes of one PutEvents request, as the sum of its entry sizes',
      },
    ),
    ...constants(
      'src/adapters/eventbridge/batching-publisher.ts',
      { DEFAULT_LINGER_MS },
      { DEFAULT_LINGER_MS: 'ms an entry waits for others to share its PutEvents request' },
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
    {
      name: 'claimPublishMargin',
      value: claimPublishMargin(Number.POSITIVE_INFINITY),
      file: 'src/domain/poll/poll-claimed.ts',
      meaning:
        'ms, at most, before its claim ends that a poll stops publishing (else the last quarter of what remains)',
    },
    ...constants(
      'src/domain/publish/dead-letter-redrive.ts',
      { REDRIVE_VISIBILITY_SECONDS },
      { REDRIVE_VISIBILITY_SECONDS: 's messages read by one `dlq redrive` stay hidden' },
    ),
    ...constants(
      'src/runtime/create-runtime.ts',
      { SANDBOX_INTERVAL_SECONDS },
      { SANDBOX_INTERVAL_SECONDS: 's between polls of `npm start` on the sandbox' },
    ),
    ...constants(
      'src/sandbox/capillary-sandbox.ts',
      { DEFAULT_NEW_EVENT_EVERY_MS },
      { DEFAULT_NEW_EVENT_EVERY_MS: 'ms between the new events the sandbox adds' },
    ),
  ];
}

/** Table rows: constant, value, where, meaning. Throws when a constant is not where it says. */
export function constantsRows(root: URL): string[][] {
  return allConstants().map(({ name, value, file, meaning }) => {
    const source = readFileSync(new URL(file, root), 'utf8');
    if (!new RegExp(`export (const|function) ${name}\\b`).test(source)) {
      throw new Error(`${name} is no longer exported by ${file}: update scripts/constants-docs.ts`);
    }
    return [`\`${name}\``, `\`${value}\``, `\`${file}\``, meaning];
  });
}
