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
 * @internal test/docs/stated-numbers.test.ts checks the docs' number against it.
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
