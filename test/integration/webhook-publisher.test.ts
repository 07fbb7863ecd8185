// The publisher behind `poll --webhook`, against a local receiver: retries what the receiver asks
// to have retried, and once a delivery failed, sends nothing more of the batch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookPublisher } from '../../src/adapters/webhook/webhook-publisher.js';
import { closeWebhookDispatcher } from '../../src/adapters/webhook/webhook-sender.js';
import { closeLoopbackServer, readBody, startLoopbackServer } from '../support/loopback-server.js';
import { outgoingEvent } from '../support/outgoing-event.js';
import { verifyWebhook } from '../support/webhook-verifier.js';

const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

/** Statuses the receiver answers, in turn; 204 once they run out. */
let answers: { status: number; headers?: Record<string, string> }[] = [];
const received: { id: string | undefined; ok: boolean }[] = [];
let server: Awaited<ReturnType<typeof startLoopbackServer>>;

beforeAll(async () => {
  server = await startLoopbackServer(() => async (request, response) => {
    const body = await readBody(request);
    const headers = {
      'webhook-id': request.headers['webhook-id'] as string | undefined,
      'webhook-timestamp': request.headers['webhook-timestamp'] as string | undefined,
      'webhook-signature': request.headers['webhook-signature'] as string | undefined,
    };
    received.push({
      id: headers['webhook-id'],
      ok: verifyWebhook({ headers, body, secret: SECRET }).ok,
    });
    const answer = answers.shift() ?? { status: 204 };
    response.writeHead(answer.status, answer.headers ?? {});
    response.end();
  });
});
afterAll(async () => {
  await closeWebhookDispatcher();
  await closeLoopbackServer(server.server);
});

const event = (n: number) =>
  outgoingEvent({
    key: `key-${n}`,
    customerId: '101',
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    attributes: { n },
    uniqueId: `unique-${n}`,
    eventId: null,
  });

const BUS = { source: 'capillary.events', region: 'us-east-1' };

describe('WebhookPublisher', () => {
  it('sends a delivery again when the receiver says so (Retry-After), signed afresh, same id', async () => {
    received.length = 0;
    answers = [{ status: 503, headers: { 'retry-after': '0' } }, { status: 429 }];
    const publisher = new WebhookPublisher({ url: new URL(server.origin), secret: SECRET, ...BUS });
    expect(await publisher.publish([event(1)])).toEqual([{ key: 'key-1', status: 'published' }]);
    expect(received).toEqual([
      { id: 'key-1', ok: true },
      { id: 'key-1', ok: true },
      { id: 'key-1', ok: true },
    ]);
  });

  it('fails an event the receiver keeps refusing, and sends nothing more of the batch', async () => {
    received.length = 0;
    answers = [{ status: 204 }, { status: 500 }, { status: 500 }];
    const publisher = new WebhookPublisher({
      url: new URL(server.origin),
      secret: SECRET,
      maxAttempts: 2,
      ...BUS,
    });
    expect(await publisher.publish([event(1), event(2), event(3)])).toEqual([
      { key: 'key-1', status: 'published' },
      { key: 'key-2', status: 'failed', reason: 'webhook HTTP 500' },
      {
        key: 'key-3',
        status: 'failed',
        reason: 'not sent: an earlier delivery failed (webhook HTTP 500)',
      },
    ]);
    expect(received.map((delivery) => delivery.id)).toEqual(['key-1', 'key-2', 'key-2']);
  });
});
