import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { CapillaryCredentials } from '../../src/adapters/capillary/capillary-auth.js';
import sample from '../../src/sandbox/sample-response.json' with { type: 'json' };
import { CUSTOMER, failure, useCapillaryDouble } from '../support/capillary-client-harness.js';

const { double, client } = await useCapillaryDouble();

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
