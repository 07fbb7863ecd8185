// The poller's AWS clients against a loopback endpoint that accepts every request and never
// answers: each request is aborted (its socket closed) at its timeout or at the invocation's
// deadline, whichever comes first, and none is sent once the deadline has passed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDynamoDbClient,
  createEventBridgeClient,
  createSecretsManagerClient,
  createSqsClient,
} from '../../src/runtime/aws-clients.js';
import { DUMMY_CREDENTIALS } from '../support/eventbridge-double.js';

/** Requests received, and how many of their connections the client closed. */
const silent = { requests: 0, closed: 0 };
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((request) => {
    silent.requests++;
    // Read, never answered.
    request.resume();
  });
  server.on('connection', (socket) => socket.on('close', () => silent.closed++));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => {
  silent.requests = 0;
  silent.closed = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const options = () => ({ region: 'us-east-1', endpoint, credentials: DUMMY_CREDENTIALS });

/** Until every connection the client opened was closed (by the client: the server never does). */
async function connectionsClosed(): Promise<void> {
  while (silent.closed < silent.requests) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('AWS clients against an endpoint that never answers', () => {
  it('abort a request at its own timeout: the SDK is told to throw, not only to warn', async () => {
    const client = createEventBridgeClient({ ...options(), requestTimeoutMs: 200 });
    const error = await client
      .send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 't', Detail: '{}' }] }))
      .catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('TimeoutError');
    expect(silent.requests).toBe(1);
    await connectionsClosed();
    client.destroy();
  });

  it.each([
    {
      service: 'DynamoDB',
      call: (deadline: () => number) =>
        createDynamoDbClient({ ...options(), deadline }).send(
          new GetItemCommand({ TableName: 't', Key: { customerId: { S: '1' } } }),
        ),
    },
    {
      service: 'SQS',
      call: (deadline: () => number) =>
        createSqsClient({ ...options(), deadline }).send(
          new SendMessageCommand({ QueueUrl: `${endpoint}/1/q`, MessageBody: 'x' }),
        ),
    },
    {
      service: 'EventBridge',
      call: (deadline: () => number) =>
        createEventBridgeClient({ ...options(), deadline }).send(
          new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 't', Detail: '{}' }] }),
        ),
    },
    {
      service: 'Secrets Manager',
      call: (deadline: () => number) =>
        createSecretsManagerClient({ ...options(), deadline }).send(
          new GetSecretValueCommand({ SecretId: 'capillary' }),
        ),
    },
  ])('$service: cut at the invocation deadline, then not sent again', async ({ call }) => {
    const deadline = Date.now() + 300;
    const error = await call(() => deadline).catch((caught: unknown) => caught);
    // The attempt cut at the deadline times out; a retry, if the SDK makes one, is refused unsent.
    expect(['TimeoutError', 'RequestDeadlineError']).toContain((error as Error).name);
    expect(silent.requests).toBe(1);
    await connectionsClosed();

    const late = await call(() => Date.now() - 1).catch((caught: unknown) => caught);
    expect(late).toMatchObject({
      name: 'RequestDeadlineError',
      message: 'AWS request not sent: the invocation has no time left',
    });
    expect(silent.requests).toBe(1);
  });
});
