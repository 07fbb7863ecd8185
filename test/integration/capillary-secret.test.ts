// A rotated secret is used within the documented 5 minutes: the Lambda's credentials loader
// (Powertools over a loopback Secrets Manager) under the client's one credentials cache.
import type { Server } from 'node:http';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CREDENTIALS_MAX_AGE_MS } from '../../src/adapters/capillary/capillary-auth.js';
import { CapillaryClient } from '../../src/adapters/capillary/capillary-client.js';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { loadSettings } from '../../src/config/settings.js';
import { credentialsLoader } from '../../src/runtime/capillary-secret.js';
import { basicAuthorization } from '../support/capillary-basic-auth.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { DUMMY_CREDENTIALS } from '../support/eventbridge-double.js';
import {
  closeLoopbackServer,
  readBody,
  sendAwsJson,
  startLoopbackServer,
} from '../support/loopback-server.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:capillary-AbCdEf';
const CUSTOMER = '564590100';
const T0 = Date.parse('2026-01-01T00:00:00Z');
/** How long one read of the secret takes, on the fake clock. */
const READ_MS = 1_000;

let capillary: CapillaryDouble;
let secretsServer: Server;
let secretsUrl: string;
/** The secret's current value and the GetSecretValue calls it answered. */
const secret = { value: { username: 'till_user', password: 'old-Pa55word' }, reads: 0 };

beforeAll(async () => {
  capillary = await CapillaryDouble.start();
  const started = await startLoopbackServer(() => async (request, response) => {
    const { SecretId } = JSON.parse(await readBody(request)) as { SecretId: string };
    secret.reads += 1;
    // The read takes a second: a cache below the client's would be a second younger than it.
    vi.setSystemTime(Date.now() + READ_MS);
    sendAwsJson(response, '1.1', 200, {
      ARN: SecretId,
      Name: 'capillary',
      SecretString: JSON.stringify(secret.value),
    });
  });
  secretsServer = started.server;
  secretsUrl = started.origin;
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await Promise.all([capillary.close(), closeLoopbackServer(secretsServer)]);
  await closeSharedDispatcher();
});

describe('credentialsLoader under the CapillaryClient', () => {
  it('uses a rotated secret once the client’s 5 minutes are up, not 5 minutes after that', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    capillary.setAuth({ kind: 'basic', ...secret.value });
    const settings = loadSettings(
      {
        CAPILLARY_BASE_URL: capillary.url.toString(),
        CAPILLARY_AUTH: 'basic',
        CAPILLARY_SECRET_ARN: SECRET_ARN,
      },
      { allowEmbedded: true, uses: ['capillary'] },
    );
    const secrets = new SecretsProvider({
      clientConfig: { endpoint: secretsUrl, region: 'us-east-1', credentials: DUMMY_CREDENTIALS },
    });
    const client = new CapillaryClient({
      baseUrl: capillary.url,
      credentials: credentialsLoader(settings, secrets),
      timeoutMs: 5_000,
      maxAttempts: 1,
      requestsPerSecond: 1_000,
      now: () => Date.now(),
    });
    const poll = () => client.fetchEvents({ customerId: CUSTOMER, scope: 'default' });

    await poll();
    expect(secret.reads).toBe(1);

    // Rotated: Capillary accepts only the new password from now on.
    secret.value = { username: 'till_user', password: 'new-Pa55word' };
    capillary.setAuth({ kind: 'basic', ...secret.value });

    // Within the 5 minutes the client keeps what it read: no second read, the old password.
    vi.setSystemTime(T0 + DEFAULT_CREDENTIALS_MAX_AGE_MS - 1_000);
    await expect(poll()).rejects.toThrow(/HTTP 401/);
    expect(secret.reads).toBe(1);

    // Half a second past them the secret is read again, and the new password is sent.
    vi.setSystemTime(T0 + DEFAULT_CREDENTIALS_MAX_AGE_MS + READ_MS / 2);
    await poll();
    expect(secret.reads).toBe(2);
    expect(capillary.eventRequests().at(-1)?.headers.authorization).toBe(
      basicAuthorization('till_user', 'new-Pa55word'),
    );
    expect(DEFAULT_CREDENTIALS_MAX_AGE_MS).toBe(5 * 60_000);
  });
});
