import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../domain/errors.js';
import { loadIdentifierHashKey } from './identifier-hash-key.js';

describe('the identifier hash key', () => {
  it('is generated once locally, owner-readable only, and the same on every later start', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ident-key-')), '.data', 'key');
    const first = await loadIdentifierHashKey({ secretArn: undefined, localFile: file });
    const again = await Promise.all(
      [1, 2, 3].map(() => loadIdentifierHashKey({ secretArn: undefined, localFile: file })),
    );
    expect(first).toHaveLength(32);
    for (const key of again) expect(key.equals(first)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from(await readFile(file, 'utf8'), 'base64').equals(first)).toBe(true);
  });

  it('comes from the secret, as JSON or alone, and a short one is refused without showing it', async () => {
    const key = randomBytes(32);
    const asked: string[] = [];
    const secrets = (value: string) => ({
      get: async (arn: string) => {
        asked.push(arn);
        return value;
      },
    });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ident';
    const fromJson = await loadIdentifierHashKey({
      secretArn: arn,
      secrets: secrets(JSON.stringify({ identifierHashKey: key.toString('base64') })) as never,
    });
    expect(fromJson.equals(key)).toBe(true);
    const alone = await loadIdentifierHashKey({
      secretArn: arn,
      secrets: secrets(key.toString('base64')) as never,
    });
    expect(alone.equals(key)).toBe(true);
    expect(asked).toEqual([arn, arn]);
    const short = 'c2hvcnQta2V5';
    const error = await loadIdentifierHashKey({
      secretArn: arn,
      secrets: secrets(short) as never,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).not.toContain(short);
  });
});
