// Capillary's customer lookup, misbehaving: each answer below goes through the real client and the
// change feed with CHANGE_FEED_LOOKUP on. A bad answer is one counted failure, never an exception
// nor a guessed customer; the read goes on; and neither a secret nor the identifier value (personal
// data, echoed back by the hostile answers) appears in any output.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapillaryClient } from '../../src/adapters/capillary/capillary-client.js';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { ChangeFeed, type FeedRun } from '../../src/domain/feed/change-feed.js';
import type { IdentifierPair } from '../../src/domain/feed/feed-learning.js';
import { FeedLearning } from '../../src/domain/feed/feed-learning.js';
import { IdentifierLookup, type LookupCounts } from '../../src/domain/feed/identifier-lookup.js';
import { basicAuthorization } from '../support/capillary-basic-auth.js';
import { capturingLogger } from '../support/poller-fixtures.js';
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
const PASSWORD = 'Lg7-Pa55word-Zr4Kq1';
/** The identifier value of the log record: with `&` and `#`, it must stay one query value. */
const VALUE = 'zqx7.wren&qkv=ALL#@kestrel.example';
const SECRETS = [
  PASSWORD,
  md5(PASSWORD),
  basicAuthorization(USERNAME, PASSWORD).slice(6),
  VALUE,
  encodeURIComponent(VALUE),
];
const MAX_BYTES = 256 * 1024;
const T = 1_800_000_000_000;

let capillary: HostileCapillary;
let forbidden: Awaited<ReturnType<typeof startForbiddenHost>>;
beforeAll(async () => {
  [capillary, forbidden] = await Promise.all([HostileCapillary.start(), startForbiddenHost()]);
  capillary.onEventLog(
    json(200, {
      data: [
        {
          id: 'c4a1d5e2-0000-4000-8000-000000000001',
          startTime: T - 10_000,
          status: 'EVENT_SUCCESS',
          eventName: 'TestBE',
          inputRequest: JSON.stringify({ event_name: 'TestBE', customer: VALUE }),
        },
      ],
      warnings: [],
      errors: [],
    }),
  );
});
afterAll(async () => {
  await Promise.all([capillary.close(), forbidden.close()]);
  await closeSharedDispatcher();
});

const failedOnce = { made: 1, failed: 1, resolved: 0, negative: 0 };

const CASES: {
  name: string;
  behaviour: () => Behaviour;
  lookups: Partial<LookupCounts>;
  learned?: IdentifierPair[];
}[] = [
  {
    name: 'a profile with no id, echoing the value and the password',
    behaviour: () =>
      json(200, { profiles: [{ identifiers: [{ type: 'email', value: VALUE }] }], note: PASSWORD }),
    lookups: failedOnce,
  },
  {
    name: 'an HTML page echoing the credentials and the value',
    behaviour: () => echoHeadersAsHtml(`<p>${VALUE} ${PASSWORD}</p>`),
    lookups: failedOnce,
  },
  {
    name: 'a 500 whose errors echo the value and the password, every attempt',
    behaviour: () =>
      json(500, { errors: [{ code: 500, message: `no customer ${VALUE} for ${PASSWORD}` }] }),
    lookups: failedOnce,
  },
  {
    name: 'a 400 whose message is the value',
    behaviour: () => json(400, { message: VALUE }),
    lookups: failedOnce,
  },
  {
    name: 'an endless body',
    behaviour: () => stream({ chunk: Buffer.alloc(64 * 1024, 32), prefix: '{"id":' }),
    lookups: failedOnce,
  },
  {
    name: 'a body that drips',
    behaviour: () => drip(50),
    lookups: failedOnce,
  },
  {
    name: 'a gzip body nobody asked for',
    behaviour: () =>
      raw(200, gzipSync(JSON.stringify({ id: 564590100 })), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      }),
    lookups: failedOnce,
  },
  {
    name: 'a redirect to another host',
    behaviour: () => raw(302, '', { location: `${forbidden.url.origin}/steal` }),
    lookups: failedOnce,
  },
  {
    name: 'an id too large to be exact',
    behaviour: () => raw(200, '{"id":123456789012345678901234567890}'),
    lookups: failedOnce,
  },
  {
    name: 'an id that is an object',
    behaviour: () => json(200, { id: { value: 564590100 } }),
    lookups: failedOnce,
  },
  {
    name: 'an id nested a hundred thousand deep',
    behaviour: () => raw(200, `{"id":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
    lookups: failedOnce,
  },
  {
    name: '8015 at HTTP 400: no such customer, an answer',
    behaviour: () => json(400, { errors: [{ code: 8015, message: `not found: ${VALUE}` }] }),
    lookups: { made: 1, negative: 1, failed: 0 },
  },
  {
    name: 'a customer nobody watches',
    behaviour: () => json(200, { id: 999_000_111 }),
    lookups: { made: 1, negative: 1, failed: 0 },
  },
  {
    name: 'the watched customer, as a string id',
    behaviour: () => json(200, { id: '564590100', profiles: [{ identifiers: [VALUE] }] }),
    lookups: { made: 1, resolved: 1 },
    learned: [{ customerId: '564590100', identifier: VALUE }],
  },
];

describe('the hostile customer lookup', () => {
  const outputs: string[] = [];

  it.each(CASES)('$name', async (hostile) => {
    capillary.onCustomerLookup(hostile.behaviour());
    const { logger, text } = capturingLogger();
    const client = new CapillaryClient({
      baseUrl: capillary.url,
      credentials: { kind: 'basic', username: USERNAME, password: PASSWORD },
      timeoutMs: 400,
      maxAttempts: 2,
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
      requestsPerSecond: 1_000,
      maxResponseBytes: MAX_BYTES,
      logger,
    });
    const learned: IdentifierPair[] = [];
    const hinted: string[] = [];
    const feed = new ChangeFeed(
      {
        log: client,
        index: {
          resolve: async () => new Map(),
          learn: async (pairs) => {
            learned.push(...pairs);
          },
        },
        learning: new FeedLearning(),
        cursors: { loadFeedCursor: async () => undefined, saveFeedCursor: async () => 'saved' },
        hints: {
          markHinted: async (customerId) => {
            hinted.push(customerId);
            return 'due-now';
          },
        },
        logger,
        lookup: new IdentifierLookup(
          {
            lookup: client,
            watched: { isWatched: async (customerId) => customerId === '564590100' },
            logger,
          },
          { perRead: 5, negativeMs: 86_400_000 },
        ),
      },
      {
        intervalMs: 30_000,
        lookBackMs: 60_000,
        limit: 5,
        lagMs: 0,
        maxRequests: 5,
        minSliceMs: 1_000,
        eventNames: [],
        identifierFields: ['customer'],
      },
    );
    const run: FeedRun = await feed.runOnce(T);
    expect(run.kind).toBe('read');
    expect(run.kind === 'read' && run.lookups).toMatchObject(hostile.lookups);
    expect(learned).toEqual(hostile.learned ?? []);
    expect(hinted).toEqual(hostile.learned?.map((pair) => pair.customerId) ?? []);
    expect(forbidden.requests).toEqual([]);
    // The value went as one query value: `&` and `#` encoded, nothing else added.
    const asked = new URLSearchParams(capillary.customerLookupRequests.at(-1));
    expect([...asked.keys()]).toEqual(['source', 'identifierName', 'identifierValue']);
    expect(asked.get('identifierValue')).toBe(VALUE);
    const output = [JSON.stringify(run), text()].join('\n');
    outputs.push(output);
    expectNoSecretPieces(output, SECRETS);
  });

  it('left no piece of a secret or of the value in any output', () => {
    expect(outputs).toHaveLength(CASES.length);
    expect(outputs.join('\n')).toMatch(/customer lookups failed/);
    expectNoSecretPieces(outputs.join('\n'), SECRETS);
  });
});
