// `poll --webhook`: each new event is POSTed, signed, to a local receiver that verifies every
// delivery with verifyWebhook; a failed delivery is not passed by the cursor and goes again next
// poll. runCli in-process against DynamoDB Local and a Capillary double.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeWebhookDispatcher } from '../../src/adapters/webhook/webhook-sender.js';
import { closeLoopbackServer, readBody, startLoopbackServer } from '../support/loopback-server.js';
import { rawEvents, uniqueIdOf } from '../support/poller-fixtures.js';
import { verifyWebhook } from '../support/webhook-verifier.js';
import { useInProcessCli } from './in-process-cli.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

const harness = useInProcessCli('poll-webhook');
const cli = harness.run;

interface Delivery {
  path: string;
  id: string | undefined;
  verdict: ReturnType<typeof verifyWebhook>;
  body: { 'detail-type': string; time: string; detail: { customerId: string; uniqueId: string } };
}

let deliveries: Delivery[] = [];
/** The receiver's secret (what it verifies with) and its answer. */
let receiver = { secret: SECRET, status: 204 };
let server: Awaited<ReturnType<typeof startLoopbackServer>>;

beforeAll(async () => {
  server = await startLoopbackServer(() => async (request, response) => {
    const body = await readBody(request);
    const headers = {
      'webhook-id': request.headers['webhook-id'] as string | undefined,
      'webhook-timestamp': request.headers['webhook-timestamp'] as string | undefined,
      'webhook-signature': request.headers['webhook-signature'] as string | undefined,
    };
    deliveries.push({
      path: request.url ?? '',
      id: headers['webhook-id'],
      verdict: verifyWebhook({ headers, body, secret: receiver.secret }),
      body: JSON.parse(body),
    });
    response.writeHead(receiver.status);
    response.end();
  });
});
afterAll(async () => {
  await closeWebhookDispatcher();
  await closeLoopbackServer(server.server);
});

describe('poll --webhook', () => {
  it('delivers each new event, oldest first, signed so that the receiver verifies it', async () => {
    harness.capillary.setEvents('91', rawEvents('91', 1, 3));
    expect((await cli('watch', 'add', '91', '--backfill')).code).toBe(0);
    deliveries = [];
    const url = `${server.origin}/hooks/capillary?team=loyalty`;

    const run = await cli('poll', '--once', '--webhook', url, '--signing-secret', SECRET);

    expect(run.code, run.stderr).toBe(0);
    expect(deliveries.map((delivery) => delivery.verdict)).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
    expect(deliveries.map((delivery) => delivery.body.detail.uniqueId)).toEqual([
      uniqueIdOf('91', 1),
      uniqueIdOf('91', 2),
      uniqueIdOf('91', 3),
    ]);
    expect(deliveries[0]?.path).toBe('/hooks/capillary?team=loyalty');
    expect(deliveries[0]?.id).toBe(uniqueIdOf('91', 1));
    // The event as a deployed webhook without a preset POSTs it: EventBridge's shape.
    expect(deliveries[0]?.body).toMatchObject({
      'detail-type': 'Event_1',
      source: 'capillary.events',
      detail: { customerId: '91' },
    });
    // Sent to the webhook instead of the stdout sink; the secret given is never shown.
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`POSTed to the webhook at ${server.origin}, signed`);
    expect(run.stderr).not.toContain('team=loyalty');
    expect(run.stderr).not.toContain(SECRET);
  });

  it('reports a refused delivery as failed: the cursor does not pass it, the next poll sends it again', async () => {
    harness.capillary.setEvents('92', rawEvents('92', 1, 1));
    expect((await cli('watch', 'add', '92')).code).toBe(0);
    expect(
      (await cli('poll', '92', '--webhook', server.origin, '--signing-secret', SECRET)).code,
    ).toBe(0);
    harness.capillary.setEvents('92', rawEvents('92', 1, 2));
    receiver = { secret: SECRET, status: 400 };
    deliveries = [];

    const refused = await cli('poll', '92', '--webhook', server.origin, '--signing-secret', SECRET);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('webhook HTTP 400');
    expect(deliveries.map((delivery) => delivery.body.detail.uniqueId)).toEqual([
      uniqueIdOf('92', 2),
    ]);

    receiver = { secret: SECRET, status: 200 };
    deliveries = [];
    const again = await cli('poll', '92', '--webhook', server.origin, '--signing-secret', SECRET);
    expect(again.code, again.stderr).toBe(0);
    expect(deliveries.map((delivery) => delivery.body.detail.uniqueId)).toEqual([
      uniqueIdOf('92', 2),
    ]);
    expect(deliveries[0]?.verdict).toEqual({ ok: true });
  });

  it('without --signing-secret, signs with a new secret that it shows, and a wrong one does not verify', async () => {
    harness.capillary.setEvents('93', rawEvents('93', 1, 1));
    expect((await cli('watch', 'add', '93', '--backfill')).code).toBe(0);
    deliveries = [];
    const run = await cli('poll', '93', '--webhook', `${server.origin}/x`);
    expect(run.code, run.stderr).toBe(0);
    const shown = /signing secret made for this run: (whsec_\S+)/.exec(run.stderr)?.[1] ?? '';
    expect(shown).toMatch(/^whsec_/);
    expect(deliveries).toHaveLength(1);
    // The receiver configured with another secret refuses it; with the one shown, it verifies.
    expect(deliveries[0]?.verdict).toEqual({ ok: false, reason: 'no-matching-signature' });
    receiver = { secret: shown, status: 204 };
    harness.capillary.setEvents('93', rawEvents('93', 1, 2));
    deliveries = [];
    expect(
      (await cli('poll', '93', '--webhook', `${server.origin}/x`, '--signing-secret', shown)).code,
    ).toBe(0);
    expect(deliveries.map((delivery) => delivery.verdict)).toEqual([{ ok: true }]);
  });

  it('refuses a plain-http webhook off this machine, a bad secret, or a secret without --webhook, exit 2', async () => {
    const offMachine = await cli('poll', '--once', '--webhook', 'http://hooks.example.com/in');
    expect(offMachine.code).toBe(2);
    expect(offMachine.stderr).toContain(
      '--webhook: plain http:// is refused for hooks.example.com',
    );
    const badSecret = await cli('poll', '--webhook', server.origin, '--signing-secret', 'hunter2');
    expect(badSecret.code).toBe(2);
    expect(badSecret.stderr).toContain(
      '--signing-secret: webhook signing secret: does not start with whsec_',
    );
    const alone = await cli('poll', '--signing-secret', SECRET);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--signing-secret goes with --webhook');
  });
});
