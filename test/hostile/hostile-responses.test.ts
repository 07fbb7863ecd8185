// The hostile corpus: one table row per misbehaving Capillary answer. Each row runs real sweeps
// (CapillaryClient, DynamoDB Local, the EventBridge and SQS wire doubles) over a healthy customer
// and a hostile one, and shows: the poller stayed up, the healthy customer got its events, the
// hostile customer's cursor is unchanged or moved only past what was published or parked, the
// message says what happened, and no piece of a secret appears anywhere.

import { gzipSync } from 'node:zlib';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../src/adapters/capillary/capillary-transport.js';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import { seenDigest } from '../../src/domain/detect/seen-digest.js';
import { runSweep, type SweepSummary } from '../../src/domain/poll/run-sweep.js';
import { basicAuthorization } from '../support/capillary-basic-auth.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { detailOf, EventBridgeDouble } from '../support/eventbridge-double.js';
import { pollDependenciesOnDoubles } from '../support/poll-dependencies-on-doubles.js';
import { capturingLogger, rawEvent, rawEvents, uniqueIdOf } from '../support/poller-fixtures.js';
import { SqsDouble } from '../support/sqs-double.js';
import {
  type Behaviour,
  drip,
  echoHeadersAsHtml,
  HostileCapillary,
  json,
  md5,
  raw,
  startForbiddenHost,
  stream,
} from './hostile-capillary.js';
import { expectNoSecretPieces } from './secret-pieces.js';

const USERNAME = 'hostile_till';
const PASSWORD = 'Hx9-Pa55word-Vq2Lz7';
const BASIC_VALUE = basicAuthorization(USERNAME, PASSWORD).slice('Basic '.length);
const SECRETS = [PASSWORD, md5(PASSWORD), BASIC_VALUE];
const TIMEOUT_MS = 1_500;

let capillary: HostileCapillary;
let eventBridge: EventBridgeDouble;
let sqs: SqsDouble;
let forbidden: Awaited<ReturnType<typeof startForbiddenHost>>;
let dynamo: DynamoDBClient;
let store: DynamoDbCursorStore;
const outputs: string[] = [];

beforeAll(async () => {
  [capillary, eventBridge, sqs, forbidden] = await Promise.all([
    HostileCapillary.start(),
    EventBridgeDouble.start(),
    SqsDouble.start(),
    startForbiddenHost(),
  ]);
  dynamo = dynamoDbLocalClient();
  store = new DynamoDbCursorStore({
    client: dynamo,
    tableName: await createTestTable(dynamo, 'hostile'),
  });
});

afterAll(async () => {
  await Promise.all([capillary.close(), eventBridge.close(), sqs.close(), forbidden.close()]);
  dynamo.destroy();
});

/** The deep JSON as text: building 100,000 levels as objects and stringifying would itself overflow. */
function deepJson(levels: number, open: string, close: string, leaf = '"bottom"'): string {
  return `${open.repeat(levels)}${leaf}${close.repeat(levels)}`;
}

function envelope(dataJson: string): Behaviour {
  return raw(200, `{"data":${dataJson},"warnings":[],"errors":[]}`, {
    'content-type': 'application/json',
  });
}

function eventsJson(events: readonly unknown[], extra: string[] = [], at = 1): string {
  const parts = events.map((event) => JSON.stringify(event));
  parts.splice(at, 0, ...extra);
  return `[${parts.join(',')}]`;
}

type Expectation =
  /** The whole answer is refused: the poll fails with this message, the cursor does not move. */
  | { kind: 'fails'; message: RegExp }
  /** Some events are set aside (parked with a reason), the others published in order. */
  | { kind: 'isolates'; published: (hostile: string) => string[]; parked: RegExp[] };

interface HostileCase {
  name: string;
  behaviour: (hostile: string) => Behaviour;
  expected: Expectation;
}

const tooLarge = new RegExp(
  `HTTP 200, 1 attempt\\): the body is larger than ${DEFAULT_MAX_RESPONSE_BYTES} bytes`,
);

/** Two fine events and a third carrying `blobBytes` of attributes: the third is parked, why. */
function oversizedThirdEvent(name: string, blobBytes: number, parked: RegExp): HostileCase {
  return {
    name,
    behaviour: (hostile) =>
      envelope(
        eventsJson(rawEvents(hostile, 1, 2), [
          JSON.stringify(rawEvent(hostile, 3, { attributes: { blob: 'x'.repeat(blobBytes) } })),
        ]),
      ),
    expected: {
      kind: 'isolates',
      published: (hostile) => [uniqueIdOf(hostile, 1), uniqueIdOf(hostile, 2)],
      parked: [parked],
    },
  };
}

const CASES: HostileCase[] = [
  {
    name: 'a 50 MB body, announced by Content-Length',
    behaviour: () =>
      stream({ chunk: Buffer.alloc(65_536, 0x20), totalBytes: 50 * 1024 * 1024, announce: true }),
    expected: {
      kind: 'fails',
      message: /larger than 10485760 bytes \(52428800 announced\): refused/,
    },
  },
  {
    name: 'a 50 MB chunked body',
    behaviour: () => stream({ chunk: Buffer.alloc(65_536, 0x20), totalBytes: 50 * 1024 * 1024 }),
    expected: { kind: 'fails', message: tooLarge },
  },
  {
    name: 'an endless chunked body',
    behaviour: () => stream({ chunk: Buffer.from('{"a":1},'.repeat(8_192)), prefix: '{"data":[' }),
    expected: { kind: 'fails', message: /larger than 10485760 bytes \(stopped after \d+\)/ },
  },
  {
    name: 'a body that drips in, one byte at a time',
    behaviour: () => drip(20),
    expected: {
      kind: 'fails',
      message: new RegExp(
        `\\(HTTP 200, 1 attempt\\): the body did not arrive within ${TIMEOUT_MS} ms \\(\\d+ bytes received\\): a slow or stalled response`,
      ),
    },
  },
  {
    name: 'an event nested 100,000 levels deep in data',
    behaviour: (hostile) =>
      envelope(eventsJson(rawEvents(hostile, 1, 2), [deepJson(100_000, '[', ']')])),
    expected: {
      kind: 'isolates',
      published: (hostile) => [uniqueIdOf(hostile, 1), uniqueIdOf(hostile, 2)],
      parked: [
        /^event unreadable:sha256:[0-9a-f]{64} at position 1 .*expected object, received array/,
      ],
    },
  },
  {
    name: 'data itself nested 100,000 levels deep',
    behaviour: () => envelope(deepJson(100_000, '{"a":', '}')),
    expected: { kind: 'fails', message: /data is an object, not a list of events/ },
  },
  {
    name: 'attributes nested 100,000 levels deep, with ids',
    behaviour: (hostile) =>
      envelope(
        eventsJson(rawEvents(hostile, 1, 2), [
          JSON.stringify(rawEvent(hostile, 3)).replace(
            '"additonalAttributes":{',
            `"additonalAttributes":{"deep":${deepJson(100_000, '{"a":', '}')},`,
          ),
        ]),
      ),
    expected: {
      kind: 'isolates',
      published: (hostile) => [uniqueIdOf(hostile, 1), uniqueIdOf(hostile, 2)],
      parked: [/^event u-\d+-0003 at position 1 .*nested more than 64 levels deep/],
    },
  },
  {
    name: 'attributes nested 100,000 levels deep, without ids',
    behaviour: (hostile) =>
      envelope(
        eventsJson(rawEvents(hostile, 1, 2), [
          JSON.stringify({ ...rawEvent(hostile, 3), uniqueId: null, eventId: null }).replace(
            '"additonalAttributes":{',
            `"additonalAttributes":{"deep":${deepJson(100_000, '[', ']')},`,
          ),
        ]),
      ),
    expected: {
      kind: 'isolates',
      published: (hostile) => [uniqueIdOf(hostile, 1), uniqueIdOf(hostile, 2)],
      parked: [/^event unreadable:sha256:[0-9a-f]{64} at position 1 .*nested more than 64 levels/],
    },
  },
  {
    name: 'invalid UTF-8',
    behaviour: () =>
      raw(
        200,
        Buffer.concat([
          Buffer.from('{"data":[{"eventName":"'),
          Buffer.from([0xff, 0xfe, 0xc3]),
          Buffer.from('","date":"2025-05-08T08:00:00Z"}],"errors":[]}'),
        ]),
        { 'content-type': 'application/json' },
      ),
    expected: { kind: 'fails', message: /the body is not valid UTF-8 \(\d+ bytes, HTTP 200\)/ },
  },
  {
    name: '100,000 events',
    behaviour: (hostile) => {
      const one = (n: number) => `{"uniqueId":"${hostile}-${n}","eventName":"E","date":${n}}`;
      const events = Array.from({ length: 100_000 }, (_, n) => one(n));
      return envelope(`[${events.join(',')}]`);
    },
    expected: {
      kind: 'fails',
      message: /the response holds 100000 events, more than the 20000 one poll accepts/,
    },
  },
  {
    name: 'an HTML page with HTTP 200 that echoes the request headers and the password',
    behaviour: () => echoHeadersAsHtml(`<p>password=${PASSWORD} md5=${md5(PASSWORD)}</p>`),
    expected: {
      kind: 'fails',
      message:
        /the body is HTML, not JSON \(HTTP 200, text\/html; a login page or a proxy\?\): <html>/,
    },
  },
  {
    name: 'an empty 200',
    behaviour: () => raw(200, ''),
    expected: { kind: 'fails', message: /\(HTTP 200, 1 attempt\): the body is empty \(HTTP 200\)/ },
  },
  {
    name: 'data: null',
    behaviour: () => json(200, { data: null, warnings: [], errors: [] }),
    expected: { kind: 'fails', message: /data is null, not a list of events/ },
  },
  {
    name: 'no data at all',
    behaviour: () => json(200, { warnings: [], errors: null }),
    expected: { kind: 'fails', message: /data is missing, not a list of events/ },
  },
  oversizedThirdEvent(
    '1 MB of attributes (too large for EventBridge, parked without its detail)',
    1_000_000,
    /over the PutEvents limit/,
  ),
  oversizedThirdEvent(
    '2 MB of attributes (over the one-event limit)',
    2_000_000,
    /at position 1 .*larger than 1048576 bytes as JSON/,
  ),
  {
    name: 'a date in the year 9999',
    behaviour: (hostile) =>
      envelope(
        eventsJson([
          { ...rawEvent(hostile, 3), date: '9999-12-31T23:59:59Z' },
          ...rawEvents(hostile, 1, 2),
        ]),
      ),
    expected: {
      kind: 'isolates',
      published: (hostile) => [
        uniqueIdOf(hostile, 1),
        uniqueIdOf(hostile, 2),
        uniqueIdOf(hostile, 3),
      ],
      parked: [],
    },
  },
  {
    name: 'an unparseable date',
    behaviour: (hostile) =>
      envelope(
        eventsJson([
          { ...rawEvent(hostile, 3), date: '31/02/2025 25:61' },
          ...rawEvents(hostile, 1, 2),
        ]),
      ),
    expected: {
      kind: 'isolates',
      published: (hostile) => [uniqueIdOf(hostile, 1), uniqueIdOf(hostile, 2)],
      parked: [/^event u-\d+-0003 at position 0 .*date: not a date: "31\/02\/2025 25:61"/],
    },
  },
  {
    name: 'a date beyond what a JavaScript Date holds',
    behaviour: (hostile) =>
      envelope(eventsJson([{ ...rawEvent(hostile, 3), date: 1e20 }, ...rawEvents(hostile, 1, 2)])),
    expected: {
      kind: 'isolates',
      published: (hostile) => [uniqueIdOf(hostile, 1), uniqueIdOf(hostile, 2)],
      parked: [/position 0 .*not a date: 100000000000000000000/],
    },
  },
  {
    name: 'a redirect to another host',
    behaviour: () =>
      raw(302, '', { location: new URL('/steal?token=1', forbidden.url).toString() }),
    expected: {
      kind: 'fails',
      message:
        /redirect refused \(HTTP 302 to http:\/\/127\.0\.0\.1:\d+ \(another host\)\): redirects are never followed/,
    },
  },
  {
    name: 'a redirect to the instance metadata service',
    behaviour: () =>
      raw(307, '', {
        location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      }),
    expected: {
      kind: 'fails',
      message: /redirect refused \(HTTP 307 to http:\/\/169\.254\.169\.254 \(another host\)\)/,
    },
  },
  {
    name: 'a gzip bomb nobody asked for (50 MB of zeros in ~50 KB)',
    behaviour: () =>
      raw(200, gzipSync(Buffer.alloc(50 * 1024 * 1024)), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      }),
    expected: {
      kind: 'fails',
      message:
        /the body is compressed \(Content-Encoding: gzip\) though no compression was asked for: refused unread/,
    },
  },
];

function harness() {
  const log = capturingLogger();
  const deps = pollDependenciesOnDoubles(
    { capillary, eventBridge, sqs },
    {
      capillary: {
        credentials: { kind: 'basic', username: USERNAME, password: PASSWORD },
        timeoutMs: TIMEOUT_MS,
        maxAttempts: 1,
      },
      store,
      logger: log.logger,
      busName: 'hostile-bus',
      eventSource: 'capillary.events',
      maxAttempts: 1,
    },
  );
  const sweep = () =>
    runSweep(deps, {
      concurrency: 4,
      psiMode: 'mask',
      seenCapacity: 200,
      version: 'hostile',
      // Every customer is due at once again after a poll.
      policy: { minIntervalMs: 0, maxIntervalMs: 0 },
      claimSeconds: 60,
    });
  return { log, sweep };
}

function publishedKeys(customerId: string): string[] {
  return eventBridge.accepted
    .map((entry) => detailOf(entry))
    .filter((detail) => detail.customerId === customerId)
    .map((detail) => String(detail.uniqueId));
}

function parkedFor(customerId: string): { key: string; reason: string }[] {
  return sqs
    .bodies<{ customerId: string; key: string; reason: string }>()
    .filter((body) => body.customerId === customerId);
}

describe('the hostile corpus: every answer below, next to a healthy customer', () => {
  it.each(CASES.map((entry, index) => [entry.name, entry, index] as const))(
    '%s',
    async (_name, hostileCase, index) => {
      const healthy = `${500 + index}01`;
      const hostile = `${500 + index}66`;
      for (const customerId of [healthy, hostile]) {
        await store.addCustomer(
          newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
        );
      }
      capillary.serve(healthy, rawEvents(healthy, 1, 2));
      capillary.on(hostile, hostileCase.behaviour(hostile));
      const before = await store.getCustomer(hostile);
      const { log, sweep } = harness();

      // The poller stays up: the sweep returns, whatever the answer.
      const summaries: SweepSummary[] = [await sweep(), await sweep()];
      const [first] = summaries as [SweepSummary];
      const after = await store.getCustomer(hostile);
      // The next row's sweeps poll only its own two customers.
      await Promise.all([store.removeCustomer(healthy), store.removeCustomer(hostile)]);

      // The healthy customer got its events, once.
      expect(publishedKeys(healthy)).toEqual([uniqueIdOf(healthy, 1), uniqueIdOf(healthy, 2)]);

      const expected = hostileCase.expected;
      if (expected.kind === 'fails') {
        const failure = first.failures.find((entry) => entry.customerId === hostile);
        expect(failure?.reason).toMatch(expected.message);
        expect(publishedKeys(hostile)).toEqual([]);
        expect(parkedFor(hostile)).toEqual([]);
        // Cursor unchanged.
        expect(after).toEqual(before);
      } else {
        expect(first.failures.filter((entry) => entry.customerId === hostile)).toEqual([]);
        // Published in order, once over both sweeps; the bad event parked once, with its reason.
        expect(publishedKeys(hostile)).toEqual(expected.published(hostile));
        const parked = parkedFor(hostile);
        expect(parked.map((entry) => entry.reason)).toEqual(
          expected.parked.map((pattern) => expect.stringMatching(pattern)),
        );
        // The cursor moved only past what was published or parked.
        const out = new Set(
          [...expected.published(hostile), ...parked.map((entry) => entry.key)].map(seenDigest),
        );
        for (const entry of after?.seen ?? [])
          expect(out.has(entry.digest), entry.digest).toBe(true);
        expect(after?.seen).toHaveLength(out.size);
      }
      expect(forbidden.requests).toEqual([]);

      const text = [
        JSON.stringify(summaries),
        log.text(),
        JSON.stringify(sqs.bodies()),
        JSON.stringify(eventBridge.accepted.map((entry) => entry.Detail)),
      ].join('\n');
      outputs.push(text);
      expectNoSecretPieces(text, SECRETS);
    },
  );

  it('left no piece of a secret in any output of the whole corpus', () => {
    expect(outputs).toHaveLength(CASES.length);
    expectNoSecretPieces(outputs.join('\n'), SECRETS);
  });
});
