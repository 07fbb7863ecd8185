import { describeError } from '../../domain/errors.js';
import type { SecretRedactor } from '../../domain/redaction.js';
import { basicAuthorization } from './basic-auth.js';
import { CapillaryAuthError } from './capillary-errors.js';
import {
  type CapillaryCredentials,
  CredentialsCache,
  type CredentialsSource,
} from './credentials-cache.js';
import { type AccessToken, OAuthTokenProvider } from './oauth-token-provider.js';

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
