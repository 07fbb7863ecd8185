// What Capillary expects of a till's Basic login, written from its docs apart from the client's
// own code (src/adapters/capillary/capillary-auth.ts), so the doubles and the secrets the tests
// look for do not come from the code under test.
import { createHash } from 'node:crypto';

/** A till's password as Capillary takes it: its lowercase MD5 hex digest. */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** The `Authorization` value: `Basic base64(username:md5hex(password))`. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${md5Hex(password)}`, 'utf8').toString('base64')}`;
}
