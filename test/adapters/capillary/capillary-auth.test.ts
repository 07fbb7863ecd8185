import { describe, expect, it } from 'vitest';
import {
  CapillaryAuthenticator,
  type CapillaryCredentials,
  CredentialsCache,
  DEFAULT_CREDENTIALS_MAX_AGE_MS,
  OAuthTokenProvider,
  TokenResponseSchema,
} from '../../../src/adapters/capillary/capillary-auth.js';
import { SecretRedactor } from '../../../src/domain/redaction.js';

describe('CapillaryAuthenticator with a till login', () => {
  it('sends the password as its lowercase md5 hex digest, in a Basic header', async () => {
    const authenticator = new CapillaryAuthenticator({
      credentials: { kind: 'basic', username: 'till_user', password: 'password' },
      redactor: new SecretRedactor(),
      generateToken: () => Promise.reject(new Error('a till login generates no token')),
    });
    const { headers } = await authenticator.authorization();
    // "password"'s well-known digest is 5f4dcc3b5aa765d61d8327deb882cf99.
    expect(headers).toEqual({
      authorization: `Basic ${Buffer.from('till_user:5f4dcc3b5aa765d61d8327deb882cf99').toString('base64')}`,
    });
    expect(headers.authorization).toBe(
      'Basic dGlsbF91c2VyOjVmNGRjYzNiNWFhNzY1ZDYxZDgzMjdkZWI4ODJjZjk5',
    );
  });
});

const basic = (password: string): CapillaryCredentials => ({
  kind: 'basic',
  username: 'till',
  password,
});

/** A cache over a loader that answers `answers` in turn, on a clock the test sets. */
function cacheOver(answers: (CapillaryCredentials | Error)[]) {
  const clock = { now: 0 };
  const loaded: CapillaryCredentials[] = [];
  let calls = 0;
  const cache = new CredentialsCache(
    async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer as CapillaryCredentials;
    },
    {
      now: () => clock.now,
      onLoad: (credentials) => loaded.push(credentials),
      onFailure: (error) => new Error(`wrapped: ${(error as Error).message}`),
    },
  );
  return { cache, clock, loaded, calls: () => calls };
}

describe('CredentialsCache', () => {
  it('loads once for concurrent callers and reuses the value for 5 minutes', async () => {
    const { cache, clock, loaded, calls } = cacheOver([basic('one'), basic('two')]);
    const first = await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(first).toEqual([basic('one'), basic('one'), basic('one')]);
    clock.now = DEFAULT_CREDENTIALS_MAX_AGE_MS - 1;
    expect(await cache.get()).toEqual(basic('one'));
    expect(calls()).toBe(1);
    clock.now = DEFAULT_CREDENTIALS_MAX_AGE_MS;
    expect(await cache.get()).toEqual(basic('two'));
    expect(loaded).toEqual([basic('one'), basic('two')]);
  });

  it('throws a failed load as onFailure says, and loads again at the next call', async () => {
    const { cache, calls } = cacheOver([new Error('throttled'), basic('one')]);
    await expect(cache.get()).rejects.toThrow('wrapped: throttled');
    expect(await cache.get()).toEqual(basic('one'));
    expect(calls()).toBe(2);
  });

  it('hands fixed credentials to onLoad at once, and none for the sandbox', async () => {
    const loaded: CapillaryCredentials[] = [];
    const options = {
      onLoad: (c: CapillaryCredentials) => loaded.push(c),
      onFailure: () => new Error(),
    };
    expect(await new CredentialsCache(basic('fixed'), options).get()).toEqual(basic('fixed'));
    expect(await new CredentialsCache(undefined, options).get()).toBeUndefined();
    expect(loaded).toEqual([basic('fixed')]);
  });
});

function provider(ttlSeconds = 300) {
  let now = 0;
  let issued = 0;
  const releases: (() => void)[] = [];
  let hold = false;
  const tokens = new OAuthTokenProvider({
    now: () => now,
    generate: async () => {
      issued += 1;
      const value = `t${issued}`;
      if (hold) await new Promise<void>((resolve) => releases.push(resolve));
      return { value, ttlSeconds };
    },
  });
  return {
    tokens,
    issued: () => issued,
    advance: (ms: number) => {
      now += ms;
    },
    hold: (on: boolean) => {
      hold = on;
    },
    release: () => {
      for (const release of releases.splice(0)) release();
    },
  };
}

describe('OAuthTokenProvider', () => {
  it('reuses a token until less than 10% / 30 s of its life is left', async () => {
    const p = provider(300);
    expect(await p.tokens.token()).toBe('t1');
    p.advance(269_000);
    expect(await p.tokens.token()).toBe('t1');
    p.advance(2_000); // 29 s left
    expect(await p.tokens.token()).toBe('t2');
    expect(p.issued()).toBe(2);
  });

  it.each([
    [300, 30_000],
    [3600, 30_000],
    [20, 2_000], // short-lived: 10% of its life
  ])(
    'with a %i s token, refreshes %i ms before it expires, not a millisecond earlier',
    async (ttlSeconds, marginMs) => {
      const p = provider(ttlSeconds);
      expect(await p.tokens.token()).toBe('t1');
      p.advance(ttlSeconds * 1000 - marginMs - 1);
      expect(await p.tokens.token()).toBe('t1');
      p.advance(1);
      expect(await p.tokens.token()).toBe('t2');
    },
  );

  it('shares one generation between concurrent callers', async () => {
    const p = provider();
    p.hold(true);
    const all = Promise.all(Array.from({ length: 10 }, () => p.tokens.token()));
    await new Promise((resolve) => setImmediate(resolve));
    p.release();
    expect(await all).toEqual(Array(10).fill('t1'));
    expect(p.issued()).toBe(1);
  });

  it('regenerates once after invalidation, even when several callers report the same token', async () => {
    const p = provider();
    const first = await p.tokens.token();
    p.tokens.invalidate(first);
    const second = await p.tokens.token();
    p.tokens.invalidate(first); // a late report about the old token changes nothing
    expect(await p.tokens.token()).toBe(second);
    expect([first, second]).toEqual(['t1', 't2']);
    expect(p.issued()).toBe(2);
  });

  it('tries again after a failed generation', async () => {
    let calls = 0;
    const tokens = new OAuthTokenProvider({
      generate: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        return { value: 'ok', ttlSeconds: 60 };
      },
    });
    await expect(tokens.token()).rejects.toThrow('boom');
    expect(await tokens.token()).toBe('ok');
  });
});

describe('TokenResponseSchema', () => {
  it('accepts the documented shape, a string ttl, and a missing ttl', () => {
    expect(
      TokenResponseSchema.parse({ data: { accessToken: 'a', ttlSeconds: 300 }, errors: null }).data,
    ).toEqual({ accessToken: 'a', ttlSeconds: 300 });
    expect(
      TokenResponseSchema.parse({ data: { accessToken: 'a', ttlSeconds: '60' } }).data.ttlSeconds,
    ).toBe(60);
    expect(TokenResponseSchema.parse({ data: { accessToken: 'a' } }).data.ttlSeconds).toBe(300);
    expect(TokenResponseSchema.safeParse({ data: { accessToken: '' } }).success).toBe(false);
  });
});
