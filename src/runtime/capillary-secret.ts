// The Capillary credentials of a deployment: read from the Secrets Manager secret, or configured.
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import type {
  CapillaryCredentials,
  CredentialsSource,
} from '../adapters/capillary/capillary-auth.js';
import type { Settings } from '../config/settings.js';
import { ConfigError } from '../domain/errors.js';
import { createSecretsManagerClient } from './aws-clients.js';

const BasicSecret = z.object({ username: z.string().min(1), password: z.string().min(1) });
const OAuthSecret = z.object({ clientKey: z.string().min(1), clientSecret: z.string().min(1) });

/**
 * Reads the Capillary credentials out of the Secrets Manager secret's JSON. The error names the
 * keys that are missing, never a value.
 */
function parseCapillarySecret(raw: unknown, authKind: 'basic' | 'oauth'): CapillaryCredentials {
  const value = typeof raw === 'string' ? safeJson(raw) : raw;
  if (authKind === 'basic') {
    const parsed = BasicSecret.safeParse(value);
    if (parsed.success) return { kind: 'basic', ...parsed.data };
    throw new ConfigError(
      'CAPILLARY_SECRET_ARN',
      'the secret must hold JSON {"username": "<till>", "password": "<password>"} for CAPILLARY_AUTH=basic',
    );
  }
  const parsed = OAuthSecret.safeParse(value);
  if (parsed.success) return { kind: 'oauth', ...parsed.data };
  throw new ConfigError(
    'CAPILLARY_SECRET_ARN',
    'the secret must hold JSON {"clientKey": "<key>", "clientSecret": "<secret>"} for CAPILLARY_AUTH=oauth',
  );
}

/**
 * A loader that reads the secret (by ARN) afresh on every call, or the configured credentials.
 * `forceFetch`: the Capillary client's credentials cache (5 minutes, `DEFAULT_CREDENTIALS_MAX_AGE_MS`)
 * is the only one; a second cache here would let a rotated secret wait up to twice as long.
 * `secrets`: where the secret is read (tests); default Powertools' provider on the poller's
 * Secrets Manager client, its requests cut at `deadline` (epoch ms, read at each request).
 */
export function credentialsLoader(
  settings: Settings,
  secrets?: Pick<SecretsProvider, 'get'>,
  deadline?: () => number,
): CredentialsSource {
  const { secretArn, authKind } = settings.capillary;
  if (secretArn === undefined) return settings.capillary.credentials;
  const provider =
    secrets ??
    new SecretsProvider({
      awsSdkV3Client: createSecretsManagerClient({ region: settings.region, deadline }),
    });
  return async () =>
    parseCapillarySecret(await provider.get(secretArn, { forceFetch: true }), authKind);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
