// The built-in sandbox serves an event log consistent with its events: each event posted for the
// sandbox customer has its record (id = the event's requestId), beside the org's other traffic.
import { afterAll, describe, expect, it } from 'vitest';
import { CapillaryClient } from '../../src/adapters/capillary/capillary-client.js';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { initialFeedCursor } from '../../src/domain/feed/feed-cursor.js';
import { FeedLearning, type IdentifierPair } from '../../src/domain/feed/feed-learning.js';
import { readChangeFeed } from '../../src/domain/feed/read-change-feed.js';
import { SANDBOX_CUSTOMER_ID, startCapillarySandbox } from '../../src/sandbox/capillary-sandbox.js';

/** The mobile number of the sandbox customer. */
const SANDBOX_CUSTOMER_IDENTIFIER = '919000000001';

afterAll(async () => {
  await closeSharedDispatcher();
});

const options = {
  limit: 50,
  lagMs: 120_000,
  maxRequests: 50,
  minSliceMs: 1_000,
  eventNames: [],
  identifierFields: ['customer'],
};

describe('the sandbox event log', () => {
  it('learns the sandbox customer from its own events, then hints it for a new one', async () => {
    const sandbox = await startCapillarySandbox({ newEventEveryMs: 0 });
    try {
      const client = new CapillaryClient({
        baseUrl: sandbox.url,
        credentials: undefined,
        timeoutMs: 2_000,
        maxAttempts: 1,
        requestsPerSecond: 1_000,
      });
      const known = new Map<string, string>();
      const index = {
        resolve: async (values: readonly string[]) =>
          new Map(values.filter((v) => known.has(v)).map((v) => [v, known.get(v) as string])),
        learn: async (pairs: readonly IdentifierPair[]) => {
          for (const { customerId, identifier } of pairs) known.set(identifier, customerId);
        },
      };
      const learning = new FeedLearning();
      const start = Date.now() - 5_000;
      for (let i = 0; i < 10; i++) sandbox.addEvent();

      // First read: nobody is known yet; the sandbox customer's records wait for a poll.
      const first = await readChangeFeed(
        { log: client, index, learning },
        initialFeedCursor(start, 0),
        Date.now(),
        options,
      );
      expect(first.hints).toEqual([]);
      // 10 events of the customer, 5 of another customer, 2 refused posts.
      expect(first.counts).toMatchObject({ newRecords: 17, notStored: 2, unmatched: 15 });

      // A poll fetches the customer's events: their request ids are the records' ids.
      const fetched = await client.fetchEvents({
        customerId: SANDBOX_CUSTOMER_ID,
        scope: 'default',
      });
      const learned = learning.rememberFetched(SANDBOX_CUSTOMER_ID, fetched.events);
      expect(new Set(learned.map((pair) => JSON.stringify(pair)))).toEqual(
        new Set([
          JSON.stringify({
            customerId: SANDBOX_CUSTOMER_ID,
            identifier: SANDBOX_CUSTOMER_IDENTIFIER,
          }),
        ]),
      );
      await index.learn(learned);

      // A new event: its record is now a hint for the sandbox customer.
      const event = sandbox.addEvent();
      const second = await readChangeFeed(
        { log: client, index, learning },
        first.cursor,
        Date.now(),
        options,
      );
      expect(second.hints.map((hint) => hint.customerId)).toEqual([SANDBOX_CUSTOMER_ID]);
      const attributes = event.additonalAttributes as Record<string, unknown>;
      expect(second.hints[0]?.startTime).toBe(Number(attributes['x-cap-lineage-start']));
    } finally {
      await sandbox.close();
    }
  });

  it('answers the customer lookup for the customers of its log, and 8015 for anyone else', async () => {
    const sandbox = await startCapillarySandbox({ newEventEveryMs: 0 });
    try {
      const client = new CapillaryClient({
        baseUrl: sandbox.url,
        credentials: undefined,
        timeoutMs: 2_000,
        maxAttempts: 1,
        requestsPerSecond: 1_000,
      });
      expect(await client.lookupCustomer(SANDBOX_CUSTOMER_IDENTIFIER)).toEqual({
        kind: 'found',
        customerId: SANDBOX_CUSTOMER_ID,
      });
      expect(await client.lookupCustomer('919000000002')).toEqual({
        kind: 'found',
        customerId: '564590199',
      });
      expect(await client.lookupCustomer('919999999999')).toEqual({ kind: 'not-found' });
    } finally {
      await sandbox.close();
    }
  });
});
