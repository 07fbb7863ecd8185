import { describe, expect, it } from 'vitest';
import manifest from '../../package.json' with { type: 'json' };
import type { CredentialsSource } from '../../src/adapters/capillary/capillary-auth.js';
import { CapillaryClient } from '../../src/adapters/capillary/capillary-client.js';
import { InsecureCapillaryUrlError } from '../../src/adapters/capillary/capillary-errors.js';
import { ConfigError, InvalidCustomerIdError } from '../../src/domain/errors.js';
import { SANDBOX_CUSTOMER_ID, startCapillarySandbox } from '../../src/sandbox/capillary-sandbox.js';
import sample from '../../src/sandbox/sample-response.json' with { type: 'json' };
import { CUSTOMER, useCapillaryDouble } from '../support/capillary-client-harness.js';

/** The names of the events the sandbox adds. */
const SANDBOX_EVENT_NAMES = [
  'TestingEvent_FE',
  'Event_Rutuja',
  'CartAbandoned',
  'ProductViewed',
  'TestingEvent_FE_Rutuja',
  'WishlistAdded',
];

const { double, client } = await useCapillaryDouble();

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
    // The version is package.json's, as on every emitted detail.
    expect(request?.headers['user-agent']).toBe(`capillary-event-poller/${manifest.version}`);
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

describe('CapillaryClient: rate limit', () => {
  it('spaces requests to the configured rate and drops none', async () => {
    // A frozen clock and a recording sleep: the waits themselves are the proof, not timings.
    const { client: capillary, delays: waits } = client({
      maxAttempts: 1,
      requestsPerSecond: 10,
      burst: 1,
      now: () => 0,
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
    const { client: capillary, delays: waits } = client({
      credentials: { kind: 'oauth', clientKey: 'k-1234', clientSecret: 's-1234' },
      maxAttempts: 3,
      requestsPerSecond: 1,
      burst: 1,
      now: () => 0, // frozen clock: every request after the first waits one more second
      retry: { baseDelayMs: 1, maxDelayMs: 1 },
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
      const sandboxClient = (credentials: CredentialsSource) =>
        client({ baseUrl: sandbox.url, credentials, maxAttempts: 1, requestsPerSecond: 100 })
          .client;
      const capillary = sandboxClient(undefined);
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

      const withOauth = sandboxClient({
        kind: 'oauth',
        clientKey: 'any',
        clientSecret: 'anything',
      });
      expect((await withOauth.fetchEvents(customer)).events.length).toBe(8);
    } finally {
      await sandbox.close();
    }
  });
});
