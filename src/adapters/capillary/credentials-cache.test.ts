import { describe, expect, it } from 'vitest';
import {
  type CapillaryCredentials,
  CredentialsCache,
  DEFAULT_CREDENTIALS_MAX_AGE_MS,
} from './credentials-cache.js';

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
