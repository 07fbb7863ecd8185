import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CapillaryError } from '../../src/adapters/capillary/capillary-errors.js';
import type { Logger } from '../../src/domain/ports.js';
import sample from '../../src/sandbox/sample-response.json' with { type: 'json' };
import { CUSTOMER, failure, useCapillaryDouble } from '../support/capillary-client-harness.js';

const { double, client } = await useCapillaryDouble();

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

describe('CapillaryClient: failures', () => {
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
