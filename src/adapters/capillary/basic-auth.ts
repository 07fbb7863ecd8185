import { createHash } from 'node:crypto';

/**
 * Capillary sends a till's password as its lowercase MD5 hex digest.
 * @internal tests compute the digest a response may echo with it.
 */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** `Authorization` header value: `Basic base64(username:md5hex(password))`. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${md5Hex(password)}`, 'utf8').toString('base64')}`;
}
