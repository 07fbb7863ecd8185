import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CapillaryClient,
  type CapillaryClientOptions,
} from '../../src/adapters/capillary/capillary-client.js';
import {
  type CapillaryError,
  CapillaryRequestError,
  InsecureCapillaryUrlError,
} from '../../src/adapters/capillary/capillary-errors.js';
import type { CapillaryCredentials } from '../../src/adapters/capillary/credentials-cache.js';
import { closeSharedDispatcher } from '../../src/adapters/capillary/shared-dispatcher.js';
import { ConfigError, InvalidCustomerIdError } from '../../src/domain/errors.js';
import type { Logger } from '../../src/domain/ports.js';
import {
  SANDBOX_CUSTOMER_ID,
  SANDBOX_EVENT_NAMES,
  startCapillarySandbox,
} from '../../src/sandbox/capillary-sandbox.js';
import sample from '../../src/sandbox/sample-response.json' with { type: 'json' };
import { CapillaryDouble } from '../support/capillary-double.js';

const CUSTOMER = '564590100';

let double: CapillaryDouble;

beforeAll(async () => {
  double = await CapillaryDouble.start();
});

afterEach(() => {
  double.reset();
});

afterAll(async () => {
  await double.close();
  await closeSharedDispatcher();
});

interface LogLine {
  level: string;
  message: string;
  attributes: Record<string, unknown> | undefined;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, attributes?: Record<string, unknown>): void => {
      lines.push({ level, message, attributes });
    };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

/** A client for the double with instant retry waits (recorded in `delays`). */
function client(overrides: Partial<CapillaryClientOptions> = {}): {
  client: CapillaryClient;
  delays: number[];
} {
  const delays: number[] = [];
  const instance = new CapillaryClient({
    baseUrl: double.url,
    credentials: undefined,
    timeoutMs: 2_000,
    maxAttempts: 4,
    requestsPerSecond: 1_000,
    retry: { baseDelayMs: 10, maxDelayMs: 100 },
    random: () => 1,
    sleep: async (ms) => {
      delays.push(ms);
    },
    ...overrides,
  });
  return { client: instance, delays };
}

async function failure(promise: Promise<unknown>): Promise<CapillaryRequestError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CapillaryRequestError);
  return error as CapillaryRequestError;
}

describe('CapillaryClient: requests', () => {
  it('sends the default request and returns the events and warnings', async () => {
    double.setEvents(CUSTOMER, sample.data, ['partial data', { code: 7, message: 'slow shard' }]);
    const { client: capillary } = client();
    const result = await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });

    const [request] = double.eventRequests();
    expect(double.requests).toHaveLength(1);
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe('/v2/events/event_data/?userId=564590100');
    expect(request?.headers.accept).toBe('application/json');
    expect(request?.headers.authorization).toBeUndefined();
    expect(result.events.map((event) => event.eventId)).toEqual(
      sample.data.map((event) => event.eventId),
    );
    expect(result.events[0]?.additonalAttributes.source_till_id).toBe(75155373);
    expect(result.warnings).toEqual(['partial data', '7: slow shard']);
  });

  it('adds scope=child for child-org customers only', async () => {
    const { client: capillary } = client();
    await capillary.fetchEvents({ customerId: '42', scope: 'child' });
    await capillary.fetchEvents({ customerId: '43', scope: 'default' });
    expect(double.eventRequests().map((r) => r.url)).toEqual([
      '/v2/events/event_data/?userId=42&scope=child',
      '/v2/events/event_data/?userId=43',
    ]);
  });

  it('follows a path-parameter template', async () => {
    double.setEvents('77', sample.data.slice(0, 1));
    const { client: capillary } = client({ eventsPath: '/v2/customers/{customerId}/events' });
    const result = await capillary.fetchEvents({ customerId: '77', scope: 'child' });
    expect(double.eventRequests().map((r) => r.url)).toEqual([
      '/v2/customers/77/events?scope=child',
    ]);
    expect(result.events).toHaveLength(1);
  });

  it('refuses a customer id that is not a Capillary user id, before any request', async () => {
    const { client: capillary } = client();
    await expect(
      capillary.fetchEvents({ customerId: '../../v3/oauth', scope: 'default' }),
    ).rejects.toBeInstanceOf(InvalidCustomerIdError);
    expect(double.requests).toHaveLength(0);
  });

  it('refuses plain http:// to a host that is not loopback', () => {
    const make = (url: string) => () =>
      new CapillaryClient({
        baseUrl: new URL(url),
        credentials: undefined,
        timeoutMs: 1000,
        maxAttempts: 1,
        requestsPerSecond: 1,
      });
    expect(make('http://eu.api.capillarytech.com')).toThrow(InsecureCapillaryUrlError);
    expect(make('http://eu.api.capillarytech.com')).toThrow(ConfigError);
    expect(make('http://10.0.0.1:8080')).toThrow(/plain http:\/\/ is refused for 10\.0\.0\.1/);
    expect(make('https://eu.api.capillarytech.com')).not.toThrow();
    expect(make('http://localhost:1234')).not.toThrow();
  });

  it('accepts the API quirks: numbers as strings, nulls, unknown fields, no displayName', async () => {
    double.setEvents(CUSTOMER, [
      {
        orgId: '100737',
        userId: 564590100,
        date: '1746694617000',
        eventName: 'Quirky',
        eventId: 'e-1',
        uniqueId: null,
        source: null,
        tillCode: 'rutuja_capillary',
        additonalAttributes: {
          eventDateTime: '1746694617000',
          accountId: null,
          String: '75155373',
        },
        psiAttributes: null,
        somethingNew: { nested: [1, 2] },
      },
    ]);
    const { client: capillary } = client();
    const [event] = (await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }))
      .events;
    expect(event).toMatchObject({
      orgId: 100737,
      userId: '564590100',
      date: '2025-05-08T08:56:57.000Z',
      eventName: 'Quirky',
      uniqueId: null,
      source: null,
      displayName: null,
      psiAttributes: [],
      additonalAttributes: { eventDateTime: '1746694617000', accountId: null },
      somethingNew: { nested: [1, 2] },
    });
  });
});

describe('CapillaryClient: authentication', () => {
  it('sends Basic base64(username:md5hex(password))', async () => {
    double.setAuth({ kind: 'basic', username: 'till_user', password: 'password' });
    const { client: capillary } = client({
      credentials: { kind: 'basic', username: 'till_user', password: 'password' },
    });
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    // md5("password") is the well-known 5f4dcc3b5aa765d61d8327deb882cf99.
    expect(double.eventRequests()[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('till_user:5f4dcc3b5aa765d61d8327deb882cf99').toString('base64')}`,
    );
  });

  it('loads credentials from a function once, shared by concurrent requests, retried after a failure', async () => {
    double.setAuth({ kind: 'basic', username: 'till_user', password: 'pw-from-secret' });
    let calls = 0;
    const load = vi.fn(async (): Promise<CapillaryCredentials> => {
      calls += 1;
      if (calls === 1) throw new Error('Secrets Manager throttled');
      return { kind: 'basic', username: 'till_user', password: 'pw-from-secret' };
    });
    const { client: capillary } = client({ credentials: load });
    const first = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(first.message).toContain('Secrets Manager throttled');
    expect(double.requests).toHaveLength(0);

    await Promise.all(
      Array.from({ length: 5 }, () =>
        capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }),
      ),
    );
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(load).toHaveBeenCalledTimes(2);
    expect(double.eventRequests()).toHaveLength(6);
  });

  it('loads the credentials again after their max age, so a rotated secret is used', async () => {
    let password = 'old-password';
    double.setAuth({ kind: 'basic', username: 'till_user', password });
    let clock = 0;
    const load = vi.fn(
      async (): Promise<CapillaryCredentials> => ({
        kind: 'basic',
        username: 'till_user',
        password,
      }),
    );
    const { client: capillary } = client({
      credentials: load,
      credentialsMaxAgeMs: 60_000,
      now: () => clock,
    });
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    password = 'new-password';
    double.setAuth({ kind: 'basic', username: 'till_user', password });
    clock = 59_000;
    const early = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(early.message).toMatch(/401/);
    clock = 61_000;
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(load).toHaveBeenCalledTimes(2);
    const sent = double.eventRequests().map((request) => request.headers.authorization);
    const md5 = createHash('md5').update('new-password').digest('hex');
    expect(sent.at(-1)).toBe(`Basic ${Buffer.from(`till_user:${md5}`).toString('base64')}`);
  });

  const oauth: CapillaryCredentials = {
    kind: 'oauth',
    clientKey: 'client-key-1',
    clientSecret: 'client-secret-1',
  };

  it('generates one OAuth token and reuses it across many requests, concurrent ones included', async () => {
    double.setAuth({ kind: 'oauth', clientKey: 'client-key-1', clientSecret: 'client-secret-1' });
    const { client: capillary } = client({ credentials: oauth });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        capillary.fetchEvents({ customerId: String(i + 1), scope: 'default' }),
      ),
    );
    for (let i = 0; i < 5; i += 1) {
      await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    }
    const tokenRequests = double.tokenRequests();
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]?.method).toBe('POST');
    expect(tokenRequests[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(tokenRequests[0]?.body ?? '')).toEqual({
      key: 'client-key-1',
      secret: 'client-secret-1',
    });
    const sent = double.eventRequests().map((r) => r.headers['x-cap-api-oauth-token']);
    expect(sent).toHaveLength(15);
    expect(new Set(sent)).toEqual(new Set(['token-1']));
    expect(double.eventRequests()[0]?.headers.authorization).toBeUndefined();
  });

  it('refreshes the token shortly before it expires', async () => {
    double.setAuth({
      kind: 'oauth',
      clientKey: 'client-key-1',
      clientSecret: 'client-secret-1',
      ttlSeconds: 300,
    });
    let now = 1_000_000;
    const { client: capillary } = client({ credentials: oauth, now: () => now });
    const fetchOnce = () => capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    await fetchOnce();
    now += 200_000;
    await fetchOnce();
    now += 69_000; // 31 s left: still fine
    await fetchOnce();
    now += 2_000; // 29 s left: refresh
    await fetchOnce();
    await fetchOnce();
    expect(double.eventRequests().map((r) => r.headers['x-cap-api-oauth-token'])).toEqual([
      'token-1',
      'token-1',
      'token-1',
      'token-2',
      'token-2',
    ]);
    expect(double.tokenRequests()).toHaveLength(2);
  });

  it('regenerates the token once on a 401 and retries once', async () => {
    double.setAuth({ kind: 'oauth', clientKey: 'client-key-1', clientSecret: 'client-secret-1' });
    double.setEvents(CUSTOMER, sample.data);
    const { client: capillary, delays } = client({ credentials: oauth, maxAttempts: 1 });
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    double.invalidateToken('token-1'); // expired on Capillary's side before our clock says so
    const result = await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(result.events).toHaveLength(3);
    expect(double.eventRequests().map((r) => r.headers['x-cap-api-oauth-token'])).toEqual([
      'token-1',
      'token-1',
      'token-2',
    ]);
    expect(double.tokenRequests()).toHaveLength(2);
    expect(delays).toEqual([]);
    // The new token is then reused.
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(double.tokenRequests()).toHaveLength(2);
  });

  it('fails on a second 401 instead of looping', async () => {
    double.setAuth({ kind: 'oauth', clientKey: 'client-key-1', clientSecret: 'client-secret-1' });
    double.failNext(CUSTOMER, { kind: 'unauthorized', message: 'Token expired' }, 10);
    const { client: capillary } = client({ credentials: oauth });
    const error = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(error.status).toBe(401);
    expect(error.failure).toBe('unauthorized');
    expect(error.message).toContain('customer 564590100');
    expect(error.message).toContain('HTTP 401');
    expect(error.message).toContain('401: Token expired');
    expect(double.eventRequests()).toHaveLength(2);
    expect(double.tokenRequests()).toHaveLength(2);
  });

  it('does not retry a 401 with Basic credentials', async () => {
    double.setAuth({ kind: 'basic', username: 'till_user', password: 'right' });
    const { client: capillary } = client({
      credentials: { kind: 'basic', username: 'till_user', password: 'wrong' },
    });
    const error = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(error.status).toBe(401);
    expect(error.message).toContain('Invalid till credentials');
    expect(double.eventRequests()).toHaveLength(1);
  });

  it('retries the token endpoint on 5xx and reports refused client credentials', async () => {
    double.setAuth({ kind: 'oauth', clientKey: 'client-key-1', clientSecret: 'client-secret-1' });
    double.failNextToken({ kind: 'server-error', status: 503 });
    const { client: capillary } = client({ credentials: oauth });
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(double.tokenRequests()).toHaveLength(2);

    double.clearRequests();
    const { client: wrong } = client({
      credentials: { kind: 'oauth', clientKey: 'client-key-1', clientSecret: 'nope-nope' },
    });
    const error = await failure(wrong.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(error.failure).toBe('unauthorized');
    expect(error.message).toContain('Invalid client key or secret');
    expect(double.tokenRequests()).toHaveLength(1);
    expect(double.eventRequests()).toHaveLength(0);
  });
});

describe('CapillaryClient: retries and failures', () => {
  it('honours Retry-After on 429 and then succeeds', async () => {
    double.setEvents(CUSTOMER, sample.data);
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '2' });
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '3600' });
    const { client: capillary, delays } = client();
    const result = await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(result.events).toHaveLength(3);
    // 2 s as asked; an hour is capped at 30 s (waited in the limiter, less the few µs since).
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThan(1_990);
    expect(delays[0]).toBeLessThanOrEqual(2_000);
    expect(delays[1]).toBeGreaterThan(29_990);
    expect(delays[1]).toBeLessThanOrEqual(30_000);
    expect(double.eventRequests()).toHaveLength(3);
  });

  it('really waits for Retry-After', async () => {
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '1' });
    const capillary = new CapillaryClient({
      baseUrl: double.url,
      credentials: undefined,
      timeoutMs: 2_000,
      maxAttempts: 2,
      requestsPerSecond: 100,
    });
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    const [first, second] = double.eventRequests();
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("holds back the client's other requests too after a 429 with Retry-After", async () => {
    double.setEvents('2', []);
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '1' });
    const capillary = new CapillaryClient({
      baseUrl: double.url,
      credentials: undefined,
      timeoutMs: 2_000,
      maxAttempts: 2,
      requestsPerSecond: 100,
    });
    const throttled = capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    while (double.eventRequests(CUSTOMER).length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await capillary.fetchEvents({ customerId: '2', scope: 'default' });
    await throttled;
    const [first] = double.eventRequests(CUSTOMER);
    const [other] = double.eventRequests('2');
    expect((other?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('fails with a throttling error when 429 outlasts every attempt', async () => {
    double.failNext(undefined, { kind: 'throttle' }, 10);
    const { client: capillary, delays } = client({ maxAttempts: 3 });
    const error = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(error.failure).toBe('throttled');
    expect(error.transient).toBe(true);
    expect(error.attempts).toBe(3);
    expect(error.message).toContain('HTTP 429');
    expect(error.message).toContain('Rate limit exceeded');
    expect(double.eventRequests()).toHaveLength(3);
    // No Retry-After: jittered exponential backoff (random() = 1 gives the ceiling).
    expect(delays).toEqual([10, 20]);
  });

  it('retries 5xx with backoff and then succeeds', async () => {
    double.setEvents(CUSTOMER, sample.data);
    double.failNext(CUSTOMER, { kind: 'server-error', status: 502 }, 2);
    const { client: capillary, delays } = client({ random: () => 0 });
    const result = await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(result.events).toHaveLength(3);
    expect(double.eventRequests()).toHaveLength(3);
    expect(delays).toEqual([5, 10]);
  });

  it('times out a request that hangs, after a bounded number of attempts', async () => {
    double.failNext(CUSTOMER, { kind: 'hang' }, 5);
    const { client: capillary } = client({ timeoutMs: 150, maxAttempts: 3 });
    const started = performance.now();
    const error = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    const elapsed = performance.now() - started;
    expect(error.failure).toBe('timeout');
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('no HTTP response');
    expect(error.message).toContain('no answer within 150 ms');
    expect(double.eventRequests()).toHaveLength(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 140);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('waits for a slow answer that comes within the timeout', async () => {
    double.setEvents(CUSTOMER, sample.data);
    double.failNext(CUSTOMER, { kind: 'delay', ms: 100 });
    const { client: capillary } = client({ timeoutMs: 1_000, maxAttempts: 1 });
    const result = await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(result.events).toHaveLength(3);
  });

  it('fails on a body that is not JSON, without retrying', async () => {
    double.failNext(CUSTOMER, { kind: 'malformed', body: '<html>Service Unavailable</html>' });
    const { client: capillary } = client();
    const error = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(error.failure).toBe('malformed');
    expect(error.message).toContain('customer 564590100');
    expect(error.message).toContain('HTTP 200');
    expect(error.message).toContain(
      'the body is HTML, not JSON (HTTP 200, text/html; a login page or a proxy?): <html>Service Unavailable</html>',
    );
    expect(double.eventRequests()).toHaveLength(1);
  });

  it('fails on a non-empty errors array even with HTTP 200, quoting the API', async () => {
    double.setEvents(CUSTOMER, sample.data);
    double.failNext(CUSTOMER, {
      kind: 'api-errors',
      errors: [{ code: 8015, message: 'Customer not found' }],
    });
    const { client: capillary } = client();
    const error = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(error.failure).toBe('api-errors');
    expect(error.status).toBe(200);
    expect(error.message).toBe(
      'Capillary events request for customer 564590100 failed (HTTP 200, 1 attempt): 8015: Customer not found',
    );
    expect(double.eventRequests()).toHaveLength(1);
  });

  it('does not retry other 4xx and quotes the API message', async () => {
    double.failNext(CUSTOMER, {
      kind: 'raw',
      status: 400,
      body: JSON.stringify({ errors: [{ code: 400, message: 'Invalid userId' }] }),
    });
    const { client: capillary } = client();
    const error = await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(error.failure).toBe('rejected');
    expect(error.transient).toBe(false);
    expect(error.message).toContain('HTTP 400');
    expect(error.message).toContain('400: Invalid userId');
    expect(double.eventRequests()).toHaveLength(1);
  });

  it('sets aside an event that does not match the schema, naming its position and field', async () => {
    double.setEvents(CUSTOMER, [sample.data[0], { ...sample.data[1], eventName: '' }]);
    const { client: capillary } = client();
    const result = await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(result.events).toHaveLength(1);
    expect(result.rejected).toEqual([
      expect.objectContaining({
        position: 1,
        key: sample.data[1]?.uniqueId,
        reason: 'eventName: eventName is empty',
      }),
    ]);
  });
});

describe('CapillaryClient: rate limit', () => {
  it('spaces requests to the configured rate and drops none', async () => {
    // A frozen clock and a recording sleep: the waits themselves are the proof, not timings.
    const waits: number[] = [];
    const capillary = new CapillaryClient({
      baseUrl: double.url,
      credentials: undefined,
      timeoutMs: 2_000,
      maxAttempts: 1,
      requestsPerSecond: 10,
      burst: 1,
      now: () => 0,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        capillary.fetchEvents({ customerId: String(i + 1), scope: 'default' }),
      ),
    );
    expect(results).toHaveLength(6);
    expect(double.eventRequests()).toHaveLength(6);
    // One every 100 ms: the first goes at once, the others wait their turn.
    expect(waits.sort((a, b) => a - b)).toEqual([100, 200, 300, 400, 500]);
  });

  it('counts retries and token calls against the same bucket', async () => {
    double.setAuth({ kind: 'oauth', clientKey: 'k-1234', clientSecret: 's-1234' });
    double.failNext(CUSTOMER, { kind: 'server-error' });
    const waits: number[] = [];
    const capillary = new CapillaryClient({
      baseUrl: double.url,
      credentials: { kind: 'oauth', clientKey: 'k-1234', clientSecret: 's-1234' },
      timeoutMs: 2_000,
      maxAttempts: 3,
      requestsPerSecond: 1,
      burst: 1,
      now: () => 0, // frozen clock: every request after the first waits one more second
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    // token (free), events 503 (waits 1 s), backoff 1 ms, events again (waits 2 s).
    expect(waits).toEqual([1_000, 1, 2_000]);
    expect(double.requests).toHaveLength(3);
  });
});

describe('CapillaryClient: shared quota', () => {
  it('takes every request from the given QuotaGate, shares a 429 pause with it, and counts and times each request', async () => {
    double.setAuth({ kind: 'oauth', clientKey: 'k-1234', clientSecret: 's-1234' });
    double.setEvents(CUSTOMER, sample.data);
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '2' });
    const gate = {
      takes: 0,
      pauses: [] as number[],
      async take() {
        this.takes += 1;
      },
      pauseFor(ms: number) {
        this.pauses.push(ms);
      },
    };
    const latencies: number[] = [];
    const { client: capillary } = client({
      credentials: { kind: 'oauth', clientKey: 'k-1234', clientSecret: 's-1234' },
      requestsPerSecond: 0.001, // the client's own bucket would make this test wait for hours
      quota: gate,
      onRequest: ({ latencyMs }) => latencies.push(latencyMs),
    });
    const result = await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(result.events).toHaveLength(3);
    // The token call, the throttled request and its retry.
    expect(double.requests).toHaveLength(3);
    expect(gate.takes).toBe(3);
    expect(gate.pauses).toEqual([2_000]);
    expect(capillary.requestsSent()).toBe(3);
    expect(latencies).toHaveLength(3);
    for (const latency of latencies) expect(latency).toBeGreaterThanOrEqual(0);
  });
});

describe('CapillaryClient: secrets never leak', () => {
  function assertClean(secrets: string[], things: unknown[]): void {
    const haystack = things
      .map((thing) => {
        if (thing instanceof Error) {
          return [
            thing.message,
            (thing as CapillaryError).reason,
            inspect(thing, { depth: 10 }),
          ].join('\n');
        }
        return typeof thing === 'string' ? thing : JSON.stringify(thing);
      })
      .join('\n');
    expect(haystack.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(haystack).not.toContain(secret);
    }
  }

  it('keeps the Basic password, its md5 and the header out of errors, logs and results', async () => {
    const password = 'Till-Pa55word!';
    const md5 = createHash('md5').update(password).digest('hex');
    const encoded = Buffer.from(`till_user:${md5}`).toString('base64');
    const header = `Basic ${encoded}`;
    double.setAuth({ kind: 'basic', username: 'till_user', password });
    const echo = `you sent ${header} / ${encoded} / ${md5} / ${password}`;
    double.setEvents(CUSTOMER, sample.data, [echo]);
    double.failNext(CUSTOMER, {
      kind: 'server-error',
      status: 500,
    });
    double.failNext(CUSTOMER, {
      kind: 'raw',
      status: 503,
      body: JSON.stringify({ errors: [{ code: 503, message: echo }] }),
    });
    const { logger, lines } = capturingLogger();
    const { client: capillary } = client({
      credentials: { kind: 'basic', username: 'till_user', password },
      logger,
    });
    const things: unknown[] = [];
    things.push(await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));
    expect(double.eventRequests().at(-1)?.headers.authorization).toBe(header);

    double.failNext(CUSTOMER, { kind: 'api-errors', errors: [{ code: 1, message: echo }] });
    things.push(await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' })));
    double.failNext(CUSTOMER, { kind: 'malformed', body: echo });
    things.push(await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' })));
    double.failNext(CUSTOMER, { kind: 'raw', status: 403, body: echo });
    things.push(await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' })));

    expect(lines.some((line) => line.level === 'warn')).toBe(true);
    expect(JSON.stringify(things)).toContain('[REDACTED]');
    assertClean([password, md5, encoded, header], [...things, lines]);
  });

  it('keeps the client secret and OAuth tokens out of errors, logs and results', async () => {
    const clientSecret = 'oauth-Client-Secret-42';
    double.setAuth({ kind: 'oauth', clientKey: 'client-key-9', clientSecret });
    const { logger, lines } = capturingLogger();
    const { client: capillary } = client({
      credentials: { kind: 'oauth', clientKey: 'client-key-9', clientSecret },
      logger,
    });
    double.failNextToken({
      kind: 'raw',
      status: 500,
      body: JSON.stringify({ errors: [{ code: 500, message: `secret ${clientSecret} was fine` }] }),
    });
    double.setEvents(CUSTOMER, sample.data, ['warning about token-1']);
    const things: unknown[] = [];
    things.push(await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }));

    double.failNext(CUSTOMER, {
      kind: 'api-errors',
      errors: [{ code: 1, message: `token token-1 is odd; secret ${clientSecret}` }],
    });
    things.push(await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' })));
    double.failNext(CUSTOMER, { kind: 'unauthorized', message: 'Token token-1 expired' }, 2);
    things.push(await failure(capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' })));

    // Refused credentials: the token endpoint echoes the secret.
    double.failNextToken({
      kind: 'raw',
      status: 401,
      body: JSON.stringify({ errors: [{ code: 1001, message: `bad secret ${clientSecret}` }] }),
    });
    const { client: fresh } = client({
      credentials: { kind: 'oauth', clientKey: 'client-key-9', clientSecret },
      logger,
    });
    things.push(await failure(fresh.fetchEvents({ customerId: CUSTOMER, scope: 'default' })));

    expect(double.issuedTokens.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeGreaterThan(0);
    assertClean([clientSecret, ...double.issuedTokens], [...things, lines]);
  });
});

describe('capillary sandbox', () => {
  it('flags a phone number as PSI on its CartAbandoned events, so the demo shows masking', async () => {
    const sandbox = await startCapillarySandbox({ newEventEveryMs: 0 });
    try {
      const added = [sandbox.addEvent(), sandbox.addEvent(), sandbox.addEvent()];
      const cart = added.find((event) => event.eventName === 'CartAbandoned');
      expect(cart?.psiAttributes).toEqual(['mobile']);
      expect((cart?.additonalAttributes as Record<string, unknown> | undefined)?.mobile).toMatch(
        /^\+91 /,
      );
      for (const other of added.filter((event) => event !== cart)) {
        expect(other.psiAttributes).toEqual([]);
      }
    } finally {
      await sandbox.close();
    }
  });

  it('serves the sample events, then newer ones, newest first, in a bounded window', async () => {
    const sandbox = await startCapillarySandbox({ newEventEveryMs: 20, maxEvents: 8 });
    try {
      expect(sandbox.customerIds).toEqual([SANDBOX_CUSTOMER_ID]);
      const capillary = new CapillaryClient({
        baseUrl: sandbox.url,
        credentials: undefined,
        timeoutMs: 2_000,
        maxAttempts: 1,
        requestsPerSecond: 100,
      });
      const customer = { customerId: SANDBOX_CUSTOMER_ID, scope: 'default' } as const;
      const first = await capillary.fetchEvents(customer);
      const sampleIds = sample.data.map((event) => event.eventId);
      expect(first.events.length).toBeGreaterThanOrEqual(3);
      expect(first.events.slice(-3).map((event) => event.eventId)).toEqual(sampleIds);

      // Wait for the window to fill (bounded), not a fixed time: timers run late on a loaded machine.
      let later = await capillary.fetchEvents(customer);
      for (let tries = 0; later.events.length < 8 && tries < 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        later = await capillary.fetchEvents(customer);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      later = await capillary.fetchEvents(customer);
      expect(later.events).toHaveLength(8);
      expect(later.events.map((e) => e.eventId)).not.toContain(sampleIds[2]);
      const fresh = later.events.filter((event) => !sampleIds.includes(event.eventId ?? ''));
      expect(fresh.length).toBeGreaterThanOrEqual(6);
      for (const event of fresh) {
        expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
        expect(event.uniqueId).toBe(event.eventId);
        expect(SANDBOX_EVENT_NAMES).toContain(event.eventName);
        expect(event.additonalAttributes).toMatchObject({
          customerId: SANDBOX_CUSTOMER_ID,
          requestId: event.eventId,
          source_till_id: 75155373,
        });
      }
      const dates = later.events.map((event) => Date.parse(event.date));
      expect([...dates].sort((a, b) => b - a)).toEqual(dates);
      expect(new Set(later.events.map((e) => e.eventName)).size).toBeGreaterThan(1);

      expect((await capillary.fetchEvents({ customerId: '1', scope: 'child' })).events).toEqual([]);

      const withOauth = new CapillaryClient({
        baseUrl: sandbox.url,
        credentials: { kind: 'oauth', clientKey: 'any', clientSecret: 'anything' },
        timeoutMs: 2_000,
        maxAttempts: 1,
        requestsPerSecond: 100,
      });
      expect((await withOauth.fetchEvents(customer)).events.length).toBe(8);
    } finally {
      await sandbox.close();
    }
  });
});
