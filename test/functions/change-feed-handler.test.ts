// The change feed Lambda handler, its environment pointing at DynamoDB Local, the Capillary double
// and a loopback Secrets Manager holding the identifier key: it reads the log, resolves the
// identifier through the index hashed under that key, makes the customer due now, saves its
// cursor and reports the feed metrics.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { DynamoDbIdentifierIndex } from '../../src/adapters/dynamodb/identifier-index.js';
import { scheduleKey } from '../../src/adapters/dynamodb/schedule-item.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import type { FeedRun } from '../../src/domain/feed/change-feed.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { emfBlobs, environment, invoke } from '../support/lambda-harness.js';
import {
  closeLoopbackServer,
  readBody,
  sendAwsJson,
  startLoopbackServer,
} from '../support/loopback-server.js';

type Handler = (event: unknown, context: Context) => Promise<{ runs: FeedRun[] }>;

const KEY = randomBytes(32);
const KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:identifier-key-AbCdEf';
const IDENTIFIER = '919000000081';

const env = environment([
  'TABLE_NAME',
  'DYNAMODB_ENDPOINT',
  'EVENT_BUS_NAME',
  'CAPILLARY_BASE_URL',
  'CAPILLARY_USERNAME',
  'CAPILLARY_PASSWORD',
  'CAPILLARY_AUTH',
  'CAPILLARY_MAX_ATTEMPTS',
  'CAPILLARY_RPS',
  'CHANGE_FEED_INTERVAL_SECONDS',
  'IDENTIFIER_KEY_SECRET_ARN',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'POWERTOOLS_METRICS_DISABLED',
]);

let capillary: CapillaryDouble;
let dynamo: DynamoDBClient;
let secrets: Server;
let secretsUrl: string;
const secretReads: string[] = [];

beforeAll(async () => {
  capillary = await CapillaryDouble.start();
  dynamo = dynamoDbLocalClient();
  const started = await startLoopbackServer(() => async (request, response) => {
    const { SecretId } = JSON.parse(await readBody(request)) as { SecretId: string };
    secretReads.push(SecretId);
    sendAwsJson(response, '1.1', 200, {
      ARN: SecretId,
      Name: 'identifier-key',
      SecretString: KEY.toString('base64'),
    });
  });
  secrets = started.server;
  secretsUrl = started.origin;
});

afterAll(async () => {
  env.restore();
  dynamo.destroy();
  await Promise.all([capillary.close(), closeLoopbackServer(secrets)]);
  const pool = await import('../../src/adapters/capillary/capillary-transport.js');
  await pool.closeSharedDispatcher();
});

describe('the change feed handler', () => {
  it('makes a watched customer named in the log due now, saves its cursor, reports its metrics', async () => {
    const tableName = await createTestTable(dynamo, 'feed-handler');
    const store = new DynamoDbCursorStore({ client: dynamo, tableName });
    await store.addCustomer(
      newCustomerState({ customerId: '81', scope: 'default', backfill: false }, new Date()),
    );
    // Polled a moment ago, next due in an hour: only a hint makes it due now.
    const polledAt = Date.now() - 60_000;
    await dynamo.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: scheduleKey('81'),
        UpdateExpression: 'SET nextPollAt = :next, lastPolledAt = :polled',
        ExpressionAttributeValues: marshall({
          ':next': Date.now() + 3_600_000,
          ':polled': polledAt,
        }),
      }),
    );
    // As `watch add` stores it, under the deployment's key.
    await new DynamoDbIdentifierIndex({ client: dynamo, tableName, hashKey: KEY }).learn([
      { customerId: '81', identifier: IDENTIFIER },
    ]);
    const record = (id: string, customer: string) => ({
      startTime: Date.now() - 5_000,
      status: 'EVENT_SUCCESS',
      eventName: 'purchase',
      inputRequest: JSON.stringify({ customer }),
      id,
    });
    capillary.setEventLog([record('req-81', IDENTIFIER), record('req-x', '919000000099')]);

    env.set({
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: 'capillary-bus',
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: 'till',
      CAPILLARY_PASSWORD: 'feed-Pa55word',
      CAPILLARY_AUTH: 'basic',
      CAPILLARY_MAX_ATTEMPTS: '1',
      CAPILLARY_RPS: '50',
      CHANGE_FEED_INTERVAL_SECONDS: '5',
      IDENTIFIER_KEY_SECRET_ARN: KEY_ARN,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
      AWS_ACCESS_KEY_ID: 'AKIDFEEDTEST',
      AWS_SECRET_ACCESS_KEY: 'feed-test-secret',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    vi.resetModules();
    const { handler } = (await import('../../functions/change-feed/handler.js')) as {
      handler: Handler;
    };
    // Just over the read margin: one read in this invocation.
    const { result, lines } = await invoke(handler, {}, 'change-feed', 15_500);

    expect(secretReads).toEqual([KEY_ARN]);
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0]).toMatchObject({
      kind: 'read',
      hintsDueNow: 1,
      counts: { records: 2, hints: 1, unmatched: 1 },
    });
    const schedule = await dynamo.send(
      new GetItemCommand({ TableName: tableName, Key: scheduleKey('81'), ConsistentRead: true }),
    );
    expect(unmarshall(schedule.Item ?? {}).nextPollAt).toBeLessThanOrEqual(Date.now());
    const cursor = await dynamo.send(
      new GetItemCommand({ TableName: tableName, Key: marshall({ customerId: 'feed#cursor' }) }),
    );
    expect(cursor.Item).toBeDefined();
    const metrics = emfBlobs(lines).find((blob) => 'FeedRecordsRead' in blob);
    expect(metrics).toMatchObject({
      FeedRecordsRead: 2,
      FeedHints: 1,
      FeedUnmatchedRecords: 1,
      FeedFailures: 0,
    });
    expect(lines.join('\n')).not.toContain(IDENTIFIER);
  });
});
