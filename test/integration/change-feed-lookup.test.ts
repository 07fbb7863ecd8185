// The change feed with CHANGE_FEED_LOOKUP=on, composed as the CLI and the feed Lambda compose it:
// the real Capillary client on the double, the identifier index and the feed's store on DynamoDB
// Local. A value the index does not know is looked up once, through the shared quota gate; a
// watched customer is learned (hashed) and hinted; no value reaches the table or the logs.

import { randomBytes } from 'node:crypto';
import { ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DynamoDbIdentifierIndex } from '../../src/adapters/dynamodb/identifier-index.js';
import { changeFeedConfig } from '../../src/config/change-feed-settings.js';
import { SETTING_SCHEMAS, type SettingsEnv } from '../../src/config/setting-schemas.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import { FeedLearning } from '../../src/domain/feed/feed-learning.js';
import { isInLane } from '../../src/domain/feed/priority-lane.js';
import type { QuotaGate } from '../../src/domain/ports.js';
import { createChangeFeed } from '../../src/runtime/create-change-feed.js';
import { useCapillaryDouble } from '../support/capillary-client-harness.js';
import { dynamoDbLocalClient, freshCursorStore } from '../support/dynamodb-local.js';
import { capturingLogger } from '../support/poller-fixtures.js';

const { double, client: capillaryClient } = await useCapillaryDouble();
const dynamo = dynamoDbLocalClient();

const T = 1_800_000_000_000;
const WATCHED_MOBILE = '918088369835';
const UNWATCHED_MOBILE = '919970388310';
const UNKNOWN_EMAIL = 'nobody.known@example.com';
const VALUES = [WATCHED_MOBILE, UNWATCHED_MOBILE, UNKNOWN_EMAIL, '8088369835', 'nobody.known'];

function record(id: string, startTime: number, customer: string) {
  return {
    startTime,
    responseTime: 120,
    orgId: 100737,
    status: 'EVENT_SUCCESS',
    eventName: 'TestBE',
    inputRequest: JSON.stringify({ event_name: 'TestBE', customer }),
    id,
    parentOrgId: -1,
    message: 'Event processed successfully',
  };
}

class CountingGate implements QuotaGate {
  taken = 0;
  async take() {
    this.taken += 1;
  }
  pauseFor() {}
}

describe('the change feed with the customer lookup on', () => {
  it('looks an unknown value up once, learns and hints a watched customer, and keeps every value out of the table and the logs', async () => {
    const { tableName, store } = await freshCursorStore(dynamo, 'feed-lookup');
    await store.addCustomer(
      newCustomerState(
        { customerId: '564590100', scope: 'default', backfill: false },
        new Date(T - 86_400_000),
      ),
    );
    // Not due before an hour: a hint is what makes it due now.
    await dynamo.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ customerId: 'schedule#564590100' }),
        UpdateExpression: 'SET nextPollAt = :next',
        ExpressionAttributeValues: marshall({ ':next': T + 3_600_000 }),
      }),
    );
    double.setCustomer(WATCHED_MOBILE, '564590100');
    double.setCustomer(UNWATCHED_MOBILE, '564590200');
    double.setEventLog([
      record('a', T - 30_000, WATCHED_MOBILE),
      record('b', T - 20_000, UNWATCHED_MOBILE),
      record('c', T - 10_000, UNKNOWN_EMAIL),
    ]);
    const quota = new CountingGate();
    const { logger, text } = capturingLogger();
    const { client: capillary } = capillaryClient({ quota, logger });
    const index = new DynamoDbIdentifierIndex({
      client: dynamo,
      tableName,
      hashKey: randomBytes(32),
    });
    const env = z.object(SETTING_SCHEMAS).parse({ CHANGE_FEED_LOOKUP: 'on' }) as SettingsEnv;
    const feed = createChangeFeed(
      { changeFeed: changeFeedConfig(env) },
      {
        index,
        learning: new FeedLearning(),
        table: { client: dynamo, tableName },
        log: capillary,
        lookup: capillary,
        logger,
      },
    );

    const first = await feed.runOnce(T);
    expect(first).toMatchObject({
      kind: 'read',
      hintsDueNow: 1,
      lookups: { made: 3, resolved: 1, negative: 2, failed: 0 },
    });
    expect(double.lookupRequests().map((r) => r.query.get('identifierName'))).toEqual([
      'email',
      'mobile',
      'mobile',
    ]);
    // Every request took its unit of the shared budget first: log reads and lookups alike.
    expect(quota.taken).toBe(double.requests.length);
    expect((await index.resolve([WATCHED_MOBILE])).get(WATCHED_MOBILE)).toBe('564590100');
    // Hinted: in the priority lane, ahead of every customer the schedule made due.
    expect(isInLane((await store.scheduleOf('564590100'))?.nextPollAt ?? T)).toBe(true);

    // Seen again: the learned value resolves through the index, the negative answers are remembered.
    double.appendEventLog([
      record('d', T + 20_000, WATCHED_MOBILE),
      record('e', T + 21_000, UNWATCHED_MOBILE),
      record('f', T + 22_000, UNKNOWN_EMAIL),
    ]);
    const second = await feed.runOnce(T + 30_000);
    expect(second).toMatchObject({
      kind: 'read',
      lookups: { made: 0, remembered: 2 },
      counts: { unmatched: 2 },
    });
    expect(double.lookupRequests()).toHaveLength(3);

    const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: tableName }));
    const stored = JSON.stringify(Items);
    const logged = text();
    for (const value of VALUES) {
      expect(stored).not.toContain(value);
      expect(logged).not.toContain(value);
    }
  });
});
