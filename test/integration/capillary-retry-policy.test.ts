import { describe, expect, it } from 'vitest';
import { CapillaryClient } from '../../src/adapters/capillary/capillary-client.js';
import { QuotaWaitError } from '../../src/domain/errors.js';
import sample from '../../src/sandbox/sample-response.json' with { type: 'json' };
import { CUSTOMER, failure, useCapillaryDouble } from '../support/capillary-client-harness.js';

const { double, client } = await useCapillaryDouble();

/** A client that really waits: default sleep, jitter and rate limiter. */
const realTimeClient = () =>
  new CapillaryClient({
    baseUrl: double.url,
    credentials: undefined,
    timeoutMs: 2_000,
    maxAttempts: 2,
    requestsPerSecond: 100,
  });

describe('CapillaryClient: retries', () => {
  it('honours Retry-After on 429 and then succeeds', async () => {
    double.setEvents(CUSTOMER, sample.data);
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '2' });
    const before = double.eventRequests().length;
    const { client: capillary, delays } = client();
    const result = await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    expect(result.events).toHaveLength(3);
    // 2 s as asked (waited in the limiter, less the few µs since).
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThan(1_990);
    expect(delays[0]).toBeLessThanOrEqual(2_000);
    expect(double.eventRequests().length - before).toBe(2);
  });

  it('gives up, sending nothing more, when Retry-After is longer than a request may wait for budget', async () => {
    double.setEvents(CUSTOMER, sample.data);
    // An hour, capped at 30 s: past the 2 s a request waits for its turn, so the poll is handed
    // back (deferred) rather than held; every request of the client stays paused meanwhile.
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '3600' });
    const before = double.eventRequests().length;
    const { client: capillary, delays } = client();
    await expect(
      capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' }),
    ).rejects.toBeInstanceOf(QuotaWaitError);
    expect(delays).toEqual([]);
    expect(double.eventRequests().length - before).toBe(1);
  });

  it('really waits for Retry-After', async () => {
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '1' });
    const capillary = realTimeClient();
    await capillary.fetchEvents({ customerId: CUSTOMER, scope: 'default' });
    const [first, second] = double.eventRequests();
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("holds back the client's other requests too after a 429 with Retry-After", async () => {
    double.setEvents('2', []);
    double.failNext(CUSTOMER, { kind: 'throttle', retryAfter: '1' });
    const capillary = realTimeClient();
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
});
