import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeWebhookDispatcher, sendWebhook } from '../../src/adapters/webhook/webhook-sender.js';
import { signWebhook } from '../../src/domain/publish/webhook-signature.js';
import { closeLoopbackServer, readBody, startLoopbackServer } from '../support/loopback-server.js';
import { verifyWebhook } from '../support/webhook-verifier.js';

const SECRET = `whsec_${Buffer.alloc(32, 42).toString('base64')}`;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('sendWebhook against a local receiver', () => {
  const received: Received[] = [];
  let answer: { status: number; headers?: Record<string, string>; body?: string; hang?: boolean } =
    {
      status: 204,
    };
  let server: Awaited<ReturnType<typeof startLoopbackServer>>;

  beforeAll(async () => {
    server = await startLoopbackServer(() => async (request, response) => {
      received.push({
        path: request.url ?? '',
        headers: request.headers,
        body: await readBody(request),
      });
      if (answer.hang) return;
      response.writeHead(answer.status, answer.headers ?? {});
      response.end(answer.body ?? '');
    });
  });
  afterAll(async () => {
    await closeWebhookDispatcher();
    await closeLoopbackServer(server.server);
  });

  const send = (path = '/hook', timeoutMs?: number) => {
    const body = JSON.stringify({ event: 'points.earned', n: received.length });
    const headers = signWebhook({
      id: 'evt-1',
      timestamp: Date.now() / 1000,
      body,
      secret: SECRET,
    });
    return sendWebhook(
      { url: new URL(`${server.origin}${path}`), body, headers: { ...headers } },
      {
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        now: () => Date.parse('2026-01-01T00:00:00Z'),
      },
    );
  };

  it('POSTs the signed body as signed: the receiver verifies it', async () => {
    answer = { status: 200, body: 'ok' };
    expect(await send('/hook?x=1')).toEqual({ kind: 'delivered', status: 200 });
    const last = received.at(-1) as Received;
    expect(last.path).toBe('/hook?x=1');
    expect(last.headers['content-type']).toBe('application/json');
    const headers = {
      'webhook-id': String(last.headers['webhook-id']),
      'webhook-timestamp': String(last.headers['webhook-timestamp']),
      'webhook-signature': String(last.headers['webhook-signature']),
    };
    expect(verifyWebhook({ headers, body: last.body, secret: SECRET })).toEqual({ ok: true });
    expect(verifyWebhook({ headers, body: `${last.body} `, secret: SECRET }).ok).toBe(false);
  });

  it('retries 429 and 5xx, after Retry-After in seconds or as a date', async () => {
    answer = { status: 429, headers: { 'retry-after': '7' } };
    expect(await send()).toEqual({
      kind: 'retry',
      reason: 'HTTP 429',
      status: 429,
      retryAfterMs: 7000,
    });
    answer = { status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' } };
    expect(await send()).toMatchObject({ kind: 'retry', status: 503, retryAfterMs: 30_000 });
    answer = { status: 500 };
    expect(await send()).toEqual({ kind: 'retry', reason: 'HTTP 500', status: 500 });
  });

  it('gives up on other 4xx and on redirects, which it does not follow', async () => {
    answer = { status: 400, body: 'bad routing key' };
    expect(await send()).toEqual({ kind: 'permanent', reason: 'HTTP 400', status: 400 });
    const before = received.length;
    answer = { status: 302, headers: { location: `${server.origin}/elsewhere` } };
    expect(await send()).toMatchObject({ kind: 'permanent', status: 302 });
    expect(received.length).toBe(before + 1);
    expect(received.some((request) => request.path === '/elsewhere')).toBe(false);
  });

  it('aborts an attempt that outlives its timeout, and retries it', async () => {
    answer = { status: 200, hang: true };
    expect(await send('/slow', 200)).toEqual({ kind: 'retry', reason: 'request failed: timeout' });
  });

  it('drops a response body over the cap and still reports the status', async () => {
    answer = { status: 200, body: 'x'.repeat(200_000) };
    expect(await send()).toEqual({ kind: 'delivered', status: 200 });
  });

  it('reports a refused connection as a retry that names the code, not the URL', async () => {
    const body = '{}';
    const outcome = await sendWebhook({
      url: new URL('http://127.0.0.1:1/services/T000/B000/secretpath'),
      body,
      headers: {},
    });
    expect(outcome).toEqual({ kind: 'retry', reason: 'request failed: ECONNREFUSED' });
  });
});
