// The webhook delivery function in-process: an SQS event in (messages read from the SQS double),
// secrets from a loopback Secrets Manager, requests to a local receiver that verifies them with
// the receiver code of docs/webhooks.md, byte for byte.
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebhookDeliveryConfig } from '../../src/adapters/webhook/webhook-delivery-config.js';
import { closeWebhookDispatcher } from '../../src/adapters/webhook/webhook-sender.js';
import { DUMMY_CREDENTIALS } from '../support/eventbridge-double.js';
import { environment, invoke } from '../support/lambda-harness.js';
import {
  closeLoopbackServer,
  readBody,
  sendAwsJson,
  startLoopbackServer,
} from '../support/loopback-server.js';
import { SqsDouble as Sqs, type SqsDouble, sqsClientOn } from '../support/sqs-double.js';

type Verify = (headers: IncomingHttpHeaders, rawBody: string, secret: string) => boolean;

/** The receiver code block of docs/webhooks.md, as a module. */
async function documentedVerifier(): Promise<Verify> {
  const docs = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const block = /<!-- receiver:start -->\n```js\n([\s\S]*?)```\n<!-- receiver:end -->/.exec(docs);
  if (!block?.[1]) throw new Error('docs/webhooks.md has no receiver code block');
  const file = join(tmpdir(), `webhook-receiver-${process.pid}-${Date.now()}.mjs`);
  writeFileSync(file, block[1]);
  return ((await import(pathToFileURL(file).href)) as { verifyWebhook: Verify }).verifyWebhook;
}

const SIGNING_SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;
const EVENT_KEY = 'evt_8c1f0e2b9d';
const envelope = (body: unknown = { event: 'Purchase', customer: '123456789' }) =>
  JSON.stringify({
    id: EVENT_KEY,
    time: '2026-01-01T00:00:00Z',
    eventName: 'Purchase',
    customerId: '123456789',
    body,
  });

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let verify: Verify;
let receiver: { server: Server; origin: string };
let secretsServer: { server: Server; origin: string };
const received: Received[] = [];
const tokenRequests: URLSearchParams[] = [];
let answer: { status: number; headers?: Record<string, string> } = { status: 204 };
/** Secret values by name, and how often each was read. */
const secrets = new Map<string, string>();
const secretReads = new Map<string, number>();
let queue: SqsDouble;
let deadLetters: SqsDouble;
const env = environment([
  'WEBHOOK_DELIVERY',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'POWERTOOLS_SERVICE_NAME',
]);

beforeAll(async () => {
  verify = await documentedVerifier();
  receiver = await startLoopbackServer(() => async (request, response) => {
    if (request.url === '/oauth/token') {
      const form = new URLSearchParams(await readBody(request));
      tokenRequests.push(form);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ access_token: `token-${tokenRequests.length}`, expires_in: 3600 }),
      );
      return;
    }
    received.push({
      path: request.url ?? '',
      headers: request.headers,
      body: await readBody(request),
    });
    response.writeHead(answer.status, answer.headers ?? {});
    response.end();
  });
  secretsServer = await startLoopbackServer(() => async (request, response) => {
    const { SecretId } = JSON.parse(await readBody(request)) as { SecretId: string };
    secretReads.set(SecretId, (secretReads.get(SecretId) ?? 0) + 1);
    const value = secrets.get(SecretId);
    if (value === undefined) {
      sendAwsJson(response, '1.1', 400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
      return;
    }
    sendAwsJson(response, '1.1', 200, { ARN: SecretId, Name: SecretId, SecretString: value });
  });
});

afterAll(async () => {
  await closeWebhookDispatcher();
  await Promise.all([
    closeLoopbackServer(receiver.server),
    closeLoopbackServer(secretsServer.server),
  ]);
});

beforeEach(async () => {
  received.length = 0;
  secrets.clear();
  secretReads.clear();
  answer = { status: 204 };
  queue = await Sqs.start({ queueName: 'orders-webhook' });
  deadLetters = await Sqs.start({ queueName: 'orders-webhook-dlq' });
});

afterEach(async () => {
  vi.useRealTimers();
  env.restore();
  await Promise.all([queue.close(), deadLetters.close()]);
});

/** A fresh handler module (its container is per module) configured with `config`. */
async function handlerWith(config: Partial<WebhookDeliveryConfig>) {
  env.set({
    WEBHOOK_DELIVERY: JSON.stringify({
      name: 'orders',
      url: `${receiver.origin}/hooks/orders`,
      maxEventAgeSeconds: 3600,
      requestsPerSecond: 1000,
      timeoutMs: 5000,
      queueUrl: queue.queueUrl,
      deadLetterQueueUrl: deadLetters.queueUrl,
      ...config,
    }),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsServer.origin,
    POWERTOOLS_SERVICE_NAME: 'webhook-orders',
  });
  vi.resetModules();
  const module = (await import('../../functions/webhook-delivery/handler.js')) as {
    handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  };
  return module.handler;
}

/** Puts `bodies` on the queue (sent `sentAt`) and receives them as the event source would. */
async function sqsEvent(bodies: string[], sentAt = Date.now()): Promise<SQSEvent> {
  for (const body of bodies) queue.enqueue(body, {}, sentAt);
  const client = sqsClientOn(queue);
  try {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 540,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return {
      Records: Messages.map((message) => ({
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: message.Attributes?.SentTimestamp ?? '0',
          SenderId: 'AIDAEXAMPLE',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:orders-webhook',
        awsRegion: 'us-east-1',
      })),
    };
  } finally {
    client.destroy();
  }
}

const headersOf = (request: Received) => request.headers;

describe('webhook delivery function', () => {
  it('signs each delivery so the documented receiver code verifies it, and nothing else', async () => {
    secrets.set('orders/signing', SIGNING_SECRET);
    const handler = await handlerWith({ signing: { secret: 'orders/signing' } });
    const { result } = await invoke(handler, await sqsEvent([envelope()]), 'webhook-orders');

    expect(result).toEqual({ batchItemFailures: [] });
    expect(received).toHaveLength(1);
    const delivery = received[0] as Received;
    expect(delivery.path).toBe('/hooks/orders');
    expect(JSON.parse(delivery.body)).toEqual({ event: 'Purchase', customer: '123456789' });
    expect(delivery.headers['webhook-id']).toBe(EVENT_KEY);
    expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(headersOf(delivery), delivery.body, SIGNING_SECRET)).toBe(true);

    // A tampered body, another secret, a forged id: refused by the same code.
    expect(
      verify(headersOf(delivery), delivery.body.replace('123456789', '987654321'), SIGNING_SECRET),
    ).toBe(false);
    expect(
      verify(headersOf(delivery), delivery.body, `whsec_${Buffer.alloc(32, 7).toString('base64')}`),
    ).toBe(false);
    expect(
      verify({ ...delivery.headers, 'webhook-id': 'evt_other' }, delivery.body, SIGNING_SECRET),
    ).toBe(false);
    // Replayed more than 5 minutes later: refused; within 5 minutes: accepted.
    vi.useFakeTimers({ now: Number(delivery.headers['webhook-timestamp']) * 1000 + 299_000 });
    expect(verify(headersOf(delivery), delivery.body, SIGNING_SECRET)).toBe(true);
    vi.setSystemTime(Number(delivery.headers['webhook-timestamp']) * 1000 + 301_000);
    expect(verify(headersOf(delivery), delivery.body, SIGNING_SECRET)).toBe(false);
    vi.useRealTimers();
    expect(queue.queued()).toHaveLength(1); // the event source deletes it, not the handler
    expect(deadLetters.queued()).toHaveLength(0);
  });

  it('honours Retry-After: the message stays, hidden until then', async () => {
    answer = { status: 503, headers: { 'retry-after': '120' } };
    const handler = await handlerWith({});
    const event = await sqsEvent([envelope()]);
    const before = Date.now();
    const { result } = await invoke(handler, event, 'webhook-orders');

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]?.messageId }]);
    const [message] = queue.queued();
    expect(message?.visibleAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(message?.visibleAt).toBeLessThan(before + 540_000);
    expect(deadLetters.queued()).toHaveLength(0);
  });

  it('parks a refused delivery (4xx) and a too-old event with why, without retrying them', async () => {
    answer = { status: 401 };
    const handler = await handlerWith({ maxEventAgeSeconds: 600 });
    const fresh = await sqsEvent([envelope({ n: 1 })]);
    const { result } = await invoke(handler, fresh, 'webhook-orders');
    expect(result).toEqual({ batchItemFailures: [] });
    expect(deadLetters.messages.map((message) => message.attributes.reason?.StringValue)).toEqual([
      'refused after 1 attempt: HTTP 401',
    ]);
    expect(deadLetters.messages[0]?.body).toBe(envelope({ n: 1 }));

    const requests = received.length;
    const stale = await sqsEvent([envelope({ n: 2 })], Date.now() - 601_000);
    expect((await invoke(handler, stale, 'webhook-orders')).result).toEqual({
      batchItemFailures: [],
    });
    expect(received).toHaveLength(requests);
    expect(deadLetters.messages[1]?.attributes.reason?.StringValue).toBe(
      'not delivered within maxEventAgeSeconds (600)',
    );
  });

  it('gives up when the next retry would fall after maxEventAgeSeconds', async () => {
    answer = { status: 500 };
    const handler = await handlerWith({ maxEventAgeSeconds: 60 });
    const event = await sqsEvent([envelope()], Date.now() - 58_000);
    const { result } = await invoke(handler, event, 'webhook-orders');
    expect(result).toEqual({ batchItemFailures: [] });
    expect(deadLetters.messages[0]?.attributes.reason?.StringValue).toBe(
      'gave up after 1 attempt (maxEventAgeSeconds 60): HTTP 500',
    );
  });

  it('posts the Slack preset to the URL in its secret, and PagerDuty with its routing key from its secret', async () => {
    secrets.set(
      'slack/sales',
      JSON.stringify({ url: `${receiver.origin}/services/T000/B000/XXXX` }),
    );
    const slack = await handlerWith({
      name: 'sales-slack',
      url: { secret: 'slack/sales', field: 'url' },
    });
    const slackRun = await invoke(
      slack,
      await sqsEvent([envelope({ text: 'Capillary Purchase' })]),
      'webhook-slack',
    );
    expect(received.at(-1)?.path).toBe('/services/T000/B000/XXXX');
    expect(slackRun.lines.join('\n')).toContain('Webhook delivered');
    expect(JSON.parse(received.at(-1)?.body ?? '')).toEqual({ text: 'Capillary Purchase' });

    secrets.set('pagerduty/vip', JSON.stringify({ routingKey: 'R0UT1NGKEY' }));
    const pager = await handlerWith({
      name: 'vip-pager',
      routingKey: { secret: 'pagerduty/vip', field: 'routingKey' },
    });
    const pagerRun = await invoke(
      pager,
      await sqsEvent([envelope({ event_action: 'trigger' })]),
      'webhook-pager',
    );
    // Delivery logs name the event, never the URL or the key.
    for (const run of [slackRun, pagerRun]) {
      const output = `${run.lines.join('\n')}${run.stderr}`;
      expect(output).not.toContain('XXXX');
      expect(output).not.toContain('R0UT1NGKEY');
    }
    expect(JSON.parse(received.at(-1)?.body ?? '')).toEqual({
      event_action: 'trigger',
      routing_key: 'R0UT1NGKEY',
    });
  });

  it('reads a rotated secret again once its 5 minutes are up, with no deploy', async () => {
    secrets.set('orders/api-key', JSON.stringify({ apiKey: 'old-key' }));
    const handler = await handlerWith({
      auth: { apiKey: { header: 'X-Api-Key', secret: 'orders/api-key', field: 'apiKey' } },
    });
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    await invoke(handler, await sqsEvent([envelope({ n: 1 })]), 'webhook-orders');
    secrets.set('orders/api-key', JSON.stringify({ apiKey: 'new-key' }));
    await invoke(handler, await sqsEvent([envelope({ n: 2 })]), 'webhook-orders');
    vi.setSystemTime(Date.now() + 301_000);
    await invoke(handler, await sqsEvent([envelope({ n: 3 })], Date.now()), 'webhook-orders');
    expect(received.map((request) => request.headers['x-api-key'])).toEqual([
      'old-key',
      'old-key',
      'new-key',
    ]);
    expect(secretReads.get('orders/api-key')).toBe(2);
  });

  it('fetches an OAuth client-credentials token with the secret, and reuses it', async () => {
    secrets.set('warehouse/oauth', JSON.stringify({ clientSecret: 'cl13nt-s3cret' }));
    tokenRequests.length = 0;
    const handler = await handlerWith({
      auth: {
        oauthClientCredentials: {
          tokenUrl: `${receiver.origin}/oauth/token`,
          clientId: 'capillary-poller',
          scope: 'events.write',
          secret: 'warehouse/oauth',
          field: 'clientSecret',
        },
      },
    });
    await invoke(
      handler,
      await sqsEvent([envelope({ n: 1 }), envelope({ n: 2 })]),
      'webhook-orders',
    );
    expect(received.map((request) => request.headers.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-1',
    ]);
    expect(tokenRequests.map((form) => Object.fromEntries(form))).toEqual([
      {
        grant_type: 'client_credentials',
        client_id: 'capillary-poller',
        client_secret: 'cl13nt-s3cret',
        scope: 'events.write',
      },
    ]);
  });

  it('retries, and never sends, when a secret cannot be read, naming the secret', async () => {
    const handler = await handlerWith({ url: { secret: 'slack/missing' } });
    const event = await sqsEvent([envelope()]);
    const { result, lines, stderr } = await invoke(handler, event, 'webhook-orders');
    expect(result.batchItemFailures).toHaveLength(1);
    expect(received).toHaveLength(0);
    expect(`${lines.join('\n')}${stderr}`).toContain('secret slack/missing: not readable');
  });
});
