// How requests to Capillary prove who they are: the credentials (fixed or loaded, reused, picked up
// again after a rotation), the Basic header, the OAuth token (shared, refreshed before expiry), and
// the authenticator that puts them on each request.
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { describeError } from '../../domain/errors.js';
import type { SecretRedactor } from '../../domain/redaction.js';
import { CapillaryAuthError } from './capillary-errors.js';

export type CapillaryCredentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'oauth'; clientKey: string; clientSecret: string };

/** Fixed credentials, a loader (Secrets Manager), or none (the local sandbox). */
export type CredentialsSource =
  | CapillaryCredentials
  | (() => Promise<CapillaryCredentials>)
  | undefined;

/**
 * How long loaded credentials are reused: 5 minutes, the delay within which a rotated secret is
 * used. This is the only cache of them: the loader must read the secret afresh on every call, or
 * a rotation could take twice as long.
 */
export const DEFAULT_CREDENTIALS_MAX_AGE_MS = 5 * 60_000;

export interface CredentialsCacheOptions {
  /** Default `DEFAULT_CREDENTIALS_MAX_AGE_MS`. */
  maxAgeMs?: number | undefined;
  /** Monotonic clock in milliseconds. Default `performance.now()`. */
  now?: (() => number) | undefined;
  /** Called with every loaded value, before any caller sees it. */
  onLoad: (credentials: CapillaryCredentials) => void;
  /** What a failed load is thrown as (it is tried again at the next `get()`). */
  onFailure: (error: unknown) => Error;
}

/**
 * The credentials in use: a loader's result is shared by concurrent callers and reused for
 * `maxAgeMs`, then loaded again so a rotated secret is picked up.
 */
export class CredentialsCache {
  private loaded: Promise<CapillaryCredentials | undefined> | undefined;
  private loadedAt = 0;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly source: CredentialsSource,
    private readonly options: CredentialsCacheOptions,
  ) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_CREDENTIALS_MAX_AGE_MS;
    this.now = options.now ?? (() => performance.now());
    if (typeof source === 'object') options.onLoad(source);
  }

  get(): Promise<CapillaryCredentials | undefined> {
    const source = this.source;
    if (typeof source !== 'function') return Promise.resolve(source);
    const now = this.now();
    if (!this.loaded || now - this.loadedAt >= this.maxAgeMs) {
      this.loadedAt = now;
      this.loaded = source().then(
        (credentials) => {
          this.options.onLoad(credentials);
          return credentials;
        },
        (error: unknown) => {
          this.loaded = undefined;
          throw this.options.onFailure(error);
        },
      );
    }
    return this.loaded;
  }
}

/**
 * Capillary sends a till's password as its lowercase MD5 hex digest.
 */
function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * `Authorization` header value: `Basic base64(username:md5hex(password))`.
 */
function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${md5Hex(password)}`, 'utf8').toString('base64')}`;
}

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
 */
function refreshMarginMs(ttlSeconds: number): number {
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

const OAUTH_TOKEN_HEADER = 'x-cap-api-oauth-token';

export type OAuthCredentials = Extract<CapillaryCredentials, { kind: 'oauth' }>;

/** The headers that authenticate one request, and the OAuth token among them. */
export interface Authorization {
  headers: Record<string, string>;
  token?: string;
}

export interface CapillaryAuthenticatorOptions {
  credentials: CredentialsSource;
  /** How long loaded credentials are reused (see `DEFAULT_CREDENTIALS_MAX_AGE_MS`). */
  credentialsMaxAgeMs?: number | undefined;
  /** Learns every secret handled here, so none leaves the client. */
  redactor: SecretRedactor;
  /** Asks Capillary for a token (`POST /v3/oauth/token/generate`, with its retries). */
  generateToken: (credentials: OAuthCredentials) => Promise<AccessToken>;
  /** Monotonic clock in milliseconds for the credentials' age and token expiry. */
  now?: (() => number) | undefined;
}

/**
 * How requests prove who they are: Basic (`base64(username:md5hex(password))`) or an OAuth token
 * generated once and shared. When the loaded credentials change (a rotated secret), the Basic
 * header and any token of the old ones are dropped.
 */
export class CapillaryAuthenticator {
  private readonly credentials: CredentialsCache;
  private activeCredentials: string | undefined;
  private basicHeader: string | undefined;
  private tokens: OAuthTokenProvider | undefined;

  constructor(private readonly options: CapillaryAuthenticatorOptions) {
    const { redactor } = options;
    this.credentials = new CredentialsCache(options.credentials, {
      maxAgeMs: options.credentialsMaxAgeMs,
      now: options.now,
      onLoad: (credentials) => this.loaded(credentials),
      onFailure: (error) =>
        new CapillaryAuthError('Loading the Capillary credentials', {
          failure: 'unauthorized',
          status: undefined,
          attempts: 0,
          detail: redactor.redact(describeError(error)),
          cause: error,
        }),
    });
  }

  /** Throws `CapillaryAuthError` when the credentials cannot be loaded or no token generated. */
  async authorization(): Promise<Authorization> {
    const credentials = await this.credentials.get();
    if (credentials === undefined) return { headers: {} };
    if (credentials.kind === 'basic') {
      this.basicHeader ??= basicAuthorization(credentials.username, credentials.password);
      return { headers: { authorization: this.basicHeader } };
    }
    const { now } = this.options;
    this.tokens ??= new OAuthTokenProvider({
      generate: () => this.options.generateToken(credentials),
      ...(now ? { now } : {}),
    });
    const token = await this.tokens.token();
    return { headers: { [OAUTH_TOKEN_HEADER]: token }, token };
  }

  /** Capillary refused `token` (HTTP 401): the next `authorization()` generates a new one. */
  invalidate(token: string): void {
    this.tokens?.invalidate(token);
  }

  private loaded(credentials: CapillaryCredentials): void {
    // The password, `username:md5hex(password)` (the Basic header's value) or the client secret,
    // in every form they can take on the wire.
    this.options.redactor.addCredentials(credentials);
    // Rotated: the Basic header and any OAuth token belong to the old ones.
    const fingerprint = JSON.stringify(credentials);
    if (this.activeCredentials !== undefined && this.activeCredentials !== fingerprint) {
      this.basicHeader = undefined;
      this.tokens = undefined;
    }
    this.activeCredentials = fingerprint;
  }
}
