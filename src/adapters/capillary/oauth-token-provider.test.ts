import { describe, expect, it } from 'vitest';
import {
  OAuthTokenProvider,
  refreshMarginMs,
  TokenResponseSchema,
} from './oauth-token-provider.js';

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

  it('uses a 10% margin for short-lived tokens', () => {
    expect(refreshMarginMs(300)).toBe(30_000);
    expect(refreshMarginMs(3600)).toBe(30_000);
    expect(refreshMarginMs(20)).toBe(2_000);
  });

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
