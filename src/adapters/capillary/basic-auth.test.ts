import { describe, expect, it } from 'vitest';
import { basicAuthorization, md5Hex } from './basic-auth.js';

describe('basicAuthorization', () => {
  it('sends the password as its lowercase md5 hex digest', () => {
    // Well-known digest of "password".
    expect(md5Hex('password')).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
    const header = basicAuthorization('till_user', 'password');
    expect(header).toBe(
      `Basic ${Buffer.from('till_user:5f4dcc3b5aa765d61d8327deb882cf99').toString('base64')}`,
    );
    expect(header).toBe('Basic dGlsbF91c2VyOjVmNGRjYzNiNWFhNzY1ZDYxZDgzMjdkZWI4ODJjZjk5');
  });
});
