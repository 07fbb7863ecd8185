// The customer lookup of the real Capillary client against the double over loopback: the
// documented request, "no such customer" as an answer, and failures that are counted, never
// guessed, and never carry the identifier value (personal data) into a message or a log line.
import { describe, expect, it } from 'vitest';
import { CapillaryCustomerLookupError } from '../../src/adapters/capillary/capillary-errors.js';
import type { QuotaGate } from '../../src/domain/ports.js';
import { useCapillaryDouble } from '../support/capillary-client-harness.js';
import { capturingLogger } from '../support/poller-fixtures.js';

const { double, client } = await useCapillaryDouble();

const MOBILE = '918088369835';

class CountingGate implements QuotaGate {
  taken = 0;
  async take() {
    this.taken += 1;
  }
  pauseFor() {}
}

async function lookupFailure(promise: Promise<unknown>): Promise<CapillaryCustomerLookupError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CapillaryCustomerLookupError);
  return error as CapillaryCustomerLookupError;
}

describe('the customer lookup on the Capillary double', () => {
  it('asks GET /v2/customers/lookup/customerDetails through the quota gate and auth, and reads the id', async () => {
    double.setAuth({ kind: 'basic', username: 'till', password: 'secret' });
    double.setCustomer(MOBILE, '564590100');
    const quota = new CountingGate();
    const { client: lookup } = client({
      quota,
      credentials: { kind: 'basic', username: 'till', password: 'secret' },
    });
    expect(await lookup.lookupCustomer(MOBILE)).toEqual({
      kind: 'found',
      customerId: '564590100',
    });
    const [request] = double.lookupRequests();
    expect(Object.fromEntries(request?.query ?? [])).toEqual({
      source: 'INSTORE',
      identifierName: 'mobile',
      identifierValue: MOBILE,
    });
    expect(request?.headers.authorization).toMatch(/^Basic /);
    expect(quota.taken).toBe(1);
  });

  it('names the identifier by its form, or as configured, and URL-encodes the value', async () => {
    const { client: auto } = client();
    await auto.lookupCustomer('a+b@example.com');
    await auto.lookupCustomer('CARD 77/1');
    const { client: pinned } = client({
      customerLookup: { source: 'ALL', identifierName: 'cardnumber' },
    });
    await pinned.lookupCustomer(MOBILE);
    const asked = double.lookupRequests().map((r) => Object.fromEntries(r.query));
    expect(asked).toEqual([
      { source: 'INSTORE', identifierName: 'email', identifierValue: 'a+b@example.com' },
      { source: 'INSTORE', identifierName: 'externalId', identifierValue: 'CARD 77/1' },
      { source: 'ALL', identifierName: 'cardnumber', identifierValue: MOBILE },
    ]);
    expect(double.lookupRequests()[0]?.url).toContain('identifierValue=a%2Bb%40example.com');
  });

  it('takes "no such customer" as an answer: code 8015 at any status, or HTTP 404, never retried', async () => {
    const { client: lookup } = client();
    expect(await lookup.lookupCustomer(MOBILE)).toEqual({ kind: 'not-found' });
    double.failNextLookup({
      kind: 'server-error',
      status: 500,
      errors: [{ code: 8015, message: 'Customer not found for given identifiers' }],
    });
    expect(await lookup.lookupCustomer(MOBILE)).toEqual({ kind: 'not-found' });
    double.failNextLookup({ kind: 'raw', status: 404, body: 'Not Found' });
    expect(await lookup.lookupCustomer(MOBILE)).toEqual({ kind: 'not-found' });
    expect(double.lookupRequests()).toHaveLength(3);
  });

  it('fails a malformed answer as a counted failure, without guessing an id', async () => {
    const { client: lookup } = client();
    double.failNextLookup({ kind: 'malformed' });
    const html = await lookupFailure(lookup.lookupCustomer(MOBILE));
    expect(html.failure).toBe('malformed');

    for (const body of [
      '{"profiles":[{"firstName":"Test"}]}',
      '{"id":"abc"}',
      '{"id":-4}',
      '[]',
      'null',
    ]) {
      double.failNextLookup({ kind: 'raw', status: 200, body });
      const error = await lookupFailure(lookup.lookupCustomer(MOBILE));
      expect(error.failure, body).toBe('invalid-response');
      expect(error.message).toMatch(/no customer id at `id`/);
    }
    // Not retried: each malformed answer was one request.
    expect(double.lookupRequests()).toHaveLength(6);
  });

  it('keeps the value and the answer out of its messages and retry logs, even when Capillary echoes them', async () => {
    const { logger, lines } = capturingLogger();
    const { client: lookup } = client({ logger, maxAttempts: 2 });
    const echo = [{ code: 5001, message: `lookup for ${MOBILE} failed, profile Test ${MOBILE}` }];
    double.failNextLookup({ kind: 'server-error', status: 503, errors: echo }, 2);
    const server = await lookupFailure(lookup.lookupCustomer(MOBILE));
    expect(server).toMatchObject({ failure: 'server', status: 503, attempts: 2, transient: true });
    expect(server.message).toContain('Capillary error codes 5001');

    double.failNextLookup({ kind: 'api-errors', errors: echo });
    const apiErrors = await lookupFailure(lookup.lookupCustomer(MOBILE));
    expect(apiErrors.failure).toBe('api-errors');

    double.failNextLookup({ kind: 'raw', status: 403, body: JSON.stringify({ message: MOBILE }) });
    const forbidden = await lookupFailure(lookup.lookupCustomer(MOBILE));
    expect(forbidden.failure).toBe('unauthorized');
    expect(forbidden.reason).toMatch(/CHANGE_FEED_LOOKUP=off/);

    expect(lines.length).toBeGreaterThan(0);
    for (const text of [server, apiErrors, forbidden].map((e) => `${e.message} ${e.reason}`)) {
      expect(text).not.toContain(MOBILE);
    }
    expect(JSON.stringify(lines)).not.toContain(MOBILE);
  });
});
