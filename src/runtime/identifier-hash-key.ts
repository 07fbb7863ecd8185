// The deployment's key for hashing customer identifiers (HMAC-SHA256): identifiers are personal
// data, so the table holds only their keyed hashes, and the key lives apart from the table.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigError } from '../domain/errors.js';

const KEY_BYTES = 32;
/** Where the CLI keeps a key it generated itself (beside the embedded table). */
const LOCAL_IDENTIFIER_KEY_FILE = path.join('.data', 'identifier-hash-key');

/**
 * The key from the Secrets Manager secret `secretArn` (its string: `{"identifierHashKey": "<base64>"}`
 * or the base64 alone, at least 32 bytes), or, without one, the local key file, generated once
 * (32 random bytes, readable by its owner only). Errors never show the key.
 */
export async function loadIdentifierHashKey(options: {
  secretArn: string | undefined;
  secrets?: Pick<SecretsProvider, 'get'>;
  localFile?: string;
}): Promise<Buffer> {
  if (options.secretArn !== undefined) {
    const provider =
      options.secrets ??
      new (await import('@aws-lambda-powertools/parameters/secrets')).SecretsProvider();
    return parseKey(await provider.get(options.secretArn));
  }
  const file = options.localFile ?? LOCAL_IDENTIFIER_KEY_FILE;
  try {
    return parseKey(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(KEY_BYTES);
  try {
    // `wx`: a second process starting at the same moment keeps the first one's key.
    await writeFile(file, key.toString('base64'), { flag: 'wx', mode: 0o600 });
    return key;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    return parseKey(await readFile(file, 'utf8'));
  }
}

function parseKey(raw: unknown): Buffer {
  let text = typeof raw === 'string' ? raw.trim() : '';
  if (text.startsWith('{')) {
    try {
      const value = (JSON.parse(text) as { identifierHashKey?: unknown }).identifierHashKey;
      text = typeof value === 'string' ? value.trim() : '';
    } catch {
      text = '';
    }
  }
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length < KEY_BYTES) {
    throw new ConfigError(
      'IDENTIFIER_KEY_SECRET_ARN',
      `the identifier hash key must be at least ${KEY_BYTES} random bytes, base64, alone or as {"identifierHashKey": "<base64>"}`,
    );
  }
  return key;
}
