import * as z from 'zod';

export interface AccessToken {
  value: string;
  ttlSeconds: number;
}

export interface OAuthTokenProviderOptions {
  /** Asks Capillary for a new token (`POST /v3/oauth/token/generate`). */
  generate: () => Promise<AccessToken>;
  /** Monotonic clock in milliseconds. Default: `performance.now()`. */
  now?: () => number;
}

/**
 * Refresh this long before expiry: 10 % of the lifetime, at most 30 s.
 * @internal its test pins the refresh margin at the edges of a token's life.
 */
export function refreshMarginMs(ttlSeconds: number): number {
  return Math.min(30_000, ttlSeconds * 100);
}

/**
 * Holds one OAuth token for a client: reused until shortly before it expires, generated once for
 * all concurrent callers, and dropped when Capillary rejects it.
 */
export class OAuthTokenProvider {
  private readonly generate: () => Promise<AccessToken>;
  private readonly now: () => number;
  private current: { value: string; refreshAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(options: OAuthTokenProviderOptions) {
    this.generate = options.generate;
    this.now = options.now ?? (() => performance.now());
  }

  /** A token that is still comfortably valid; generates one when needed (shared by concurrent callers). */
  async token(): Promise<string> {
    if (this.current && this.now() < this.current.refreshAt) return this.current.value;
    if (!this.pending) {
      const pending = this.refresh().finally(() => {
        if (this.pending === pending) this.pending = undefined;
      });
      this.pending = pending;
    }
    return this.pending;
  }

  /**
   * Capillary rejected `token` (HTTP 401): forget it so the next `token()` generates a new one.
   * A token other than the current one (already replaced by a concurrent caller) is ignored.
   */
  invalidate(token: string): void {
    if (this.current?.value === token) this.current = undefined;
  }

  private async refresh(): Promise<string> {
    const requestedAt = this.now();
    const token = await this.generate();
    const ttlMs = token.ttlSeconds * 1000;
    this.current = {
      value: token.value,
      refreshAt: requestedAt + ttlMs - refreshMarginMs(token.ttlSeconds),
    };
    return token.value;
  }
}

/** Lifetime assumed when the response omits it (Capillary's documented example). */
const DEFAULT_TOKEN_TTL_SECONDS = 300;

/** `{ data: { accessToken, ttlSeconds }, errors }`; `ttlSeconds` may come as a string. */
export const TokenResponseSchema = z.looseObject({
  data: z.looseObject({
    accessToken: z.string().min(1, 'accessToken is empty'),
    ttlSeconds: z
      .union([
        z.number(),
        z
          .string()
          .regex(/^\d+(\.\d+)?$/)
          .transform(Number),
      ])
      .pipe(z.number().positive())
      .nullish()
      .transform((value) => value ?? DEFAULT_TOKEN_TTL_SECONDS),
  }),
  errors: z.array(z.unknown()).nullish(),
});
