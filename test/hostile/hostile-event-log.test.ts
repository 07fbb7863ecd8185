// The org-wide event log, misbehaving: each answer below goes through the real client and the
// change feed. The feed never throws nor loops, says what happened, hints only what a good record
// names, and no piece of a secret appears in any output.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapillaryClient } from '../../src/adapters/capillary/capillary-client.js';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { ChangeFeed, type FeedRun } from '../../src/domain/feed/change-feed.js';
import type { FeedCursor } from '../../src/domain/feed/feed-cursor.js';
import { FeedLearning } from '../../src/domain/feed/feed-learning.js';
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
const SECRETS = [PASSWORD, md5(PASSWORD), basicAuthorization(USERNAME, PASSWORD).slice(6)];
const MAX_BYTES = 256 * 1024;
const T = Date.now();

let capillary: HostileCapillary;
let forbidden: Awaited<ReturnType<typeof startForbiddenHost>>;
beforeAll(async () => {
  [capillary, forbidden] = await Promise.all([HostileCapillary.start(), startForbiddenHost()]);
});
afterAll(async () => {
  await Promise.all([capillary.close(), forbidden.close()]);
  await closeSharedDispatcher();
});

const good = {
  id: 'ff972d37-9c47-4fdd-b956-f57890479305',
  startTime: T - 10_000,
  status: 'EVENT_SUCCESS',
  eventName: 'TestBE',
  inputRequest: '{"event_name":"TestBE","customer":"918088369835"}',
};
const log = (data: unknown, extra: Record<string, unknown> = {}) =>
  json(200, { data, warnings: [], errors: [], ...extra });

type Expected =
  | { kind: 'failed'; message: RegExp }
  | { kind: 'read'; hints: string[]; counts: Record<string, number> };

const CASES: { name: string; behaviour: () => Behaviour; expected: Expected; limit?: number }[] = [
  {
    name: 'a body larger than the cap, announced',
    behaviour: () =>
      stream({ chunk: Buffer.alloc(64 * 1024, 32), totalBytes: MAX_BYTES * 4, announce: true }),
    expected: { kind: 'failed', message: /larger than 262144 bytes/ },
  },
  {
    name: 'an endless body',
    behaviour: () => stream({ chunk: Buffer.alloc(64 * 1024, 32), prefix: '{"data":[' }),
    expected: { kind: 'failed', message: /larger than 262144 bytes/ },
  },
  {
    name: 'a gzip body nobody asked for',
    behaviour: () =>
      raw(200, gzipSync(JSON.stringify({ data: [good] })), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      }),
    expected: { kind: 'failed', message: /compressed/ },
  },
  {
    name: 'an HTML page echoing the credentials',
    behaviour: () => echoHeadersAsHtml(`<p>${PASSWORD}</p>`),
    expected: { kind: 'failed', message: /HTML, not JSON/ },
  },
  {
    name: 'a redirect to another host',
    behaviour: () => raw(302, '', { location: `${forbidden.url.href}steal` }),
    expected: { kind: 'failed', message: /redirect refused/ },
  },
  {
    name: 'a body that trickles in',
    behaviour: () => drip(200),
    expected: { kind: 'failed', message: /did not arrive within/ },
  },
  {
    name: 'data null',
    behaviour: () => log(null),
    expected: { kind: 'failed', message: /not an object with a data list/ },
  },
  {
    name: 'errors in a 200 quoting the password',
    behaviour: () => log([good], { errors: [{ code: 500, message: `bad till ${PASSWORD}` }] }),
    expected: { kind: 'failed', message: /bad till/ },
  },
  {
    name: 'hostile records beside a good one',
    behaviour: () =>
      log([
        good,
        { ...good, id: 'deep', inputRequest: `${'['.repeat(100_000)}${']'.repeat(100_000)}` },
        {
          ...good,
          id: 'nested',
          inputRequest: `{"customer":"1","x":${'{"a":'.repeat(40)}1${'}'.repeat(40)}}`,
        },
        { ...good, id: 'cut', inputRequest: '{"customer": "9180' },
        { ...good, id: 'proto', inputRequest: '{"__proto__":{"customer":"918088369835"}}' },
        { ...good, id: 'object', inputRequest: '{"customer":{"mobile":"918088369835"}}' },
        { ...good, id: 'not-stored', status: 'EMF_PROCESSOR_FAILED' },
        { ...good, id: undefined },
        { ...good, id: 'no-time', startTime: 'now' },
        'a string',
      ]),
    limit: 100,
    expected: {
      kind: 'read',
      hints: ['564590100'],
      counts: { requests: 1, newRecords: 7, rejectedRecords: 3, unidentified: 5, notStored: 1 },
    },
  },
  {
    name: 'a server that ignores limit and always answers the same full page',
    behaviour: () =>
      log(
        Array.from({ length: 50 }, (_, i) => ({ ...good, id: `same-${i}`, startTime: T - 1_000 })),
      ),
    expected: { kind: 'read', hints: ['564590100'], counts: { requests: 20 } },
  },
];

describe('the hostile event log', () => {
  const outputs: string[] = [];

  it.each(CASES.map((entry) => [entry.name, entry] as const))('%s', async (_name, hostile) => {
    capillary.onEventLog(hostile.behaviour());
    forbidden.requests.length = 0;
    const { logger, text } = capturingLogger();
    const client = new CapillaryClient({
      baseUrl: capillary.url,
      credentials: { kind: 'basic', username: USERNAME, password: PASSWORD },
      timeoutMs: 1_000,
      maxAttempts: 1,
      requestsPerSecond: 1_000,
      maxResponseBytes: MAX_BYTES,
      logger,
    });
    let stored: FeedCursor | undefined;
    const hinted: string[] = [];
    const feed = new ChangeFeed(
      {
        log: client,
        index: {
          resolve: async (values) =>
            new Map(values.filter((v) => v === '918088369835').map((v) => [v, '564590100'])),
          learn: async () => {},
        },
        learning: new FeedLearning(),
        cursors: {
          loadFeedCursor: async () => stored,
          saveFeedCursor: async (next) => {
            stored = next;
            return 'saved';
          },
        },
        hints: {
          markHinted: async (customerId) => {
            hinted.push(customerId);
            return 'due-now';
          },
        },
        logger,
      },
      {
        intervalMs: 30_000,
        lookBackMs: 60_000,
        limit: hostile.limit ?? 5,
        lagMs: 0,
        maxRequests: 20,
        minSliceMs: 1_000,
        eventNames: [],
        identifierFields: ['customer'],
      },
    );
    const run: FeedRun = await feed.runOnce(T);
    const expected = hostile.expected;
    if (expected.kind === 'failed') {
      expect(run.kind).toBe('failed');
      expect(run.kind === 'failed' && run.reason).toMatch(expected.message);
      expect(stored?.readTo ?? T - 60_000).toBe(T - 60_000);
      expect(hinted).toEqual([]);
    } else {
      expect(run.kind).toBe('read');
      expect(run.kind === 'read' && run.counts).toMatchObject(expected.counts);
      expect(hinted).toEqual(expected.hints);
    }
    expect(forbidden.requests).toEqual([]);
    const output = [JSON.stringify(run), text()].join('\n');
    outputs.push(output);
    expectNoSecretPieces(output, SECRETS);
  });

  it('left no piece of a secret in any output', () => {
    expect(outputs).toHaveLength(CASES.length);
    expectNoSecretPieces(outputs.join('\n'), SECRETS);
  });
});
