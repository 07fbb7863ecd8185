import { describe, expect, it } from 'vitest';
import type { CapillaryCredentials } from '../adapters/capillary/capillary-auth.js';
import { loadSettings } from '../config/settings.js';
import { ConfigError } from '../domain/errors.js';
import { credentialsLoader } from './capillary-secret.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:capillary-AbCdEf';

/** What the Lambda's loader makes of a secret holding `value`, for `CAPILLARY_AUTH=auth`. */
async function loaded(value: unknown, auth: 'basic' | 'oauth'): Promise<CapillaryCredentials> {
  const settings = loadSettings(
    {
      CAPILLARY_BASE_URL: 'https://eu.api.capillarytech.com',
      CAPILLARY_AUTH: auth,
      CAPILLARY_SECRET_ARN: SECRET_ARN,
    },
    { allowEmbedded: true, uses: ['capillary'] },
  );
  const secrets = {
    get: async (arn: string) => {
      expect(arn).toBe(SECRET_ARN);
      return value;
    },
  };
  const source = credentialsLoader(settings, secrets as never);
  if (typeof source !== 'function') throw new Error('a secret ARN gives a loader');
  return source();
}

describe('credentialsLoader: the secret', () => {
  it('reads basic and OAuth credentials from the secret JSON', async () => {
    expect(await loaded('{"username":"till","password":"pw"}', 'basic')).toEqual({
      kind: 'basic',
      username: 'till',
      password: 'pw',
    });
    expect(await loaded({ clientKey: 'k', clientSecret: 's' }, 'oauth')).toEqual({
      kind: 'oauth',
      clientKey: 'k',
      clientSecret: 's',
    });
  });

  it('says which keys the secret must hold, without echoing what it holds', async () => {
    const attempt = loaded('{"username":"till","pass":"s3cr3t-value"}', 'basic');
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      'CAPILLARY_SECRET_ARN: the secret must hold JSON {"username": "<till>", "password": "<password>"} for CAPILLARY_AUTH=basic',
    );
    expect(String(error)).not.toContain('s3cr3t-value');
    await expect(loaded('not json', 'oauth')).rejects.toThrow(/clientKey/);
  });
});
