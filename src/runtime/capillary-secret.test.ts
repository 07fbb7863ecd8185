import { describe, expect, it } from 'vitest';
import { ConfigError } from '../domain/errors.js';
import { parseCapillarySecret } from './capillary-secret.js';

describe('parseCapillarySecret', () => {
  it('reads basic and OAuth credentials from the secret JSON', () => {
    expect(parseCapillarySecret('{"username":"till","password":"pw"}', 'basic')).toEqual({
      kind: 'basic',
      username: 'till',
      password: 'pw',
    });
    expect(parseCapillarySecret({ clientKey: 'k', clientSecret: 's' }, 'oauth')).toEqual({
      kind: 'oauth',
      clientKey: 'k',
      clientSecret: 's',
    });
  });

  it('says which keys the secret must hold, without echoing what it holds', () => {
    const attempt = () =>
      parseCapillarySecret('{"username":"till","pass":"s3cr3t-value"}', 'basic');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      'CAPILLARY_SECRET_ARN: the secret must hold JSON {"username": "<till>", "password": "<password>"} for CAPILLARY_AUTH=basic',
    );
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain('s3cr3t-value');
    }
    expect(() => parseCapillarySecret('not json', 'oauth')).toThrow(/clientKey/);
  });
});
