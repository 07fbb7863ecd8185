import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { type Dispatcher, request } from 'undici';
import type { z } from 'zod';
import { type CapillaryCredentials, DEFAULT_EVENTS_PATH } from '../../config/settings.js';
import { describeApiMessage } from '../../domain/capillary-event.js';
import { CustomerIdSchema, type Scope } from '../../domain/customer-state.js';
import { describeError, InvalidCustomerIdError } from '../../domain/errors.js';
import type { CustomerEventsSource, FetchedEvents, Logger, QuotaGate } from '../../domain/ports.js';
import { backoffDelayMs } from './backoff.js';
import { basicAuthorization, md5Hex } from './basic-auth.js';
import {
  CapillaryAuthError,
  type CapillaryError,
  type CapillaryFailure,
  CapillaryRequestError,
} from './capillary-errors.js';
import { checkBaseUrl, checkEventsPath, eventsUrl, tokenUrl } from './capillary-urls.js';
import {
  type AccessToken,
  OAuthTokenProvider,
  TokenResponseSchema,
} from './oauth-token-provider.js';
import { TokenBucket } from './rate-limiter.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  decodeUtf8,
  discardBody,
  readCappedBody,
} from './response-body.js';
import {
  apiErrors,
  BODY_SNIPPET_CHARS,
  describeErrorBody,
  describeNotJson,
  describeRedirect,
  interpretEventsBody,
} from './response-interpreter.js';
import { parseRetryAfterMs } from './retry-after.js';
import { SecretRedactor } from './secret-redactor.js';
import { sharedDispatcher } from './shared-dispatcher.js';

export const OAUTH_TOKEN_HEADER = 'x-cap-api-oauth-token';
const USER_AGENT = 'capillary-event-poller/0.1.0';

export interface CapillaryRetryOptions {
  /** Backoff ceiling before the first retry (doubles each retry, jittered). Default 250 ms. */
  baseDelayMs?: number;
  /** Largest backoff ceiling. Default 5 s. */
  maxDelayMs?: number;
  /** `Retry-After` is honoured up to this. Default 30 s. */
  maxRetryAfterMs?: number;
}

export interface CapillaryClientOptions {
  /** `https://eu.api.capillarytech.com`; plain `http://` only for loopback hosts. May carry a path prefix. */
  baseUrl: URL;
  /** Path and query template with `{customerId}`. Default `/v2/events/event_data/?userId={customerId}`. */
  eventsPath?: string;
  /**
   * The credentials, or a function that loads them (its result is reused for
   * `credentialsMaxAgeMs`, then loaded again so a rotated secret is picked up; a failed load is
   * tried again at the next request). `undefined`: no authentication (the local sandbox).
   */
  credentials: CapillaryCredentials | (() => Promise<CapillaryCredentials>) | undefined;
  /** Deadline of one HTTP request (connect, headers and body: a body that trickles in fails at it). */
  timeoutMs: number;
  /** Requests per call, first one included (a regeneration after a 401 gets one extra). */
  maxAttempts: number;
  /** Shared by every request of this client: events, retries and token generation. */
  requestsPerSecond: number;
  /**
   * Where each request takes its share of the budget first. Default: an in-process `TokenBucket`
   * of `requestsPerSecond` and `burst`; the runtime passes the table's shared gate.
   */
  quota?: QuotaGate;
  /** Told of every request sent (events and token calls, retries included) once it is answered or failed. */
  onRequest?: (report: { latencyMs: number }) => void;
  /** How long loaded credentials are reused. Default 5 minutes. */
  credentialsMaxAgeMs?: number;
  /** Largest burst of the rate limiter. Default `max(1, floor(requestsPerSecond))`. */
  burst?: number;
  /** Default: the process-wide keep-alive pool (`sharedDispatcher`). */
  dispatcher?: Dispatcher;
  logger?: Logger;
  retry?: CapillaryRetryOptions;
  /** Largest accepted response body; reading stops there. Default 10 MiB (`DEFAULT_MAX_RESPONSE_BYTES`). */
  maxResponseBytes?: number;
  /** Tests: how the client waits (retry delays and the rate limiter). Default: real timers. */
  sleep?: (ms: number) => Promise<void>;
  /** Tests: jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Tests: monotonic clock in ms for the rate limiter and token expiry. Default `performance.now()`. */
  now?: () => number;
}

type Exchange =
  | { kind: 'response'; status: number; headers: IncomingHttpHeaders; bytes: Buffer; url: URL }
  /** Headers arrived, the body did not (whole): too large, compressed, too slow, cut off. */
  | {
      kind: 'bad-body';
      status: number;
      failure: 'malformed' | 'timeout' | 'network';
      detail: string;
    }
  | { kind: 'no-response'; failure: 'timeout' | 'network'; detail: string; cause: unknown };

interface Failed {
  ok: false;
  failure: CapillaryFailure;
  status: number | undefined;
  detail: string;
  retryable: boolean;
  retryAfterMs?: number | undefined;
  /** Retry at once without counting the attempt (after an OAuth token regeneration). */
  retryNow?: boolean;
  cause?: unknown;
}
type Verdict<T> = { ok: true; value: T } | Failed;

type Authorization = { headers: Record<string, string>; token?: string };

const NO_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Reads one customer's recent events from Capillary's `GET /v2/events/event_data/`. */
export class CapillaryClient implements CustomerEventsSource {
  private readonly baseUrl: URL;
  private readonly eventsPath: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly dispatcher: Dispatcher;
  private readonly logger: Logger;
  private readonly limiter: QuotaGate;
  private readonly onRequest: ((report: { latencyMs: number }) => void) | undefined;
  private readonly redactor = new SecretRedactor();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: (() => number) | undefined;
  private readonly retry: Required<CapillaryRetryOptions>;
  private readonly maxResponseBytes: number;
  private readonly credentialsSource: CapillaryClientOptions['credentials'];
  private credentials: Promise<CapillaryCredentials | undefined> | undefined;
  private credentialsLoadedAt = 0;
  private readonly credentialsMaxAgeMs: number;
  private activeCredentials: string | undefined;
  private basicHeader: string | undefined;
  private tokens: OAuthTokenProvider | undefined;
  private sent = 0;

  constructor(options: CapillaryClientOptions) {
    this.baseUrl = checkBaseUrl(options.baseUrl);
    this.eventsPath = checkEventsPath(options.eventsPath ?? DEFAULT_EVENTS_PATH);
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be positive, got ${options.timeoutMs}`);
    }
    if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a whole number >= 1, got ${options.maxAttempts}`);
    }
    this.timeoutMs = options.timeoutMs;
    this.maxAttempts = options.maxAttempts;
    this.dispatcher = options.dispatcher ?? sharedDispatcher(options.timeoutMs);
    this.logger = options.logger ?? NO_LOGGER;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
    this.random = options.random ?? Math.random;
    this.now = options.now;
    this.retry = {
      baseDelayMs: options.retry?.baseDelayMs ?? 250,
      maxDelayMs: options.retry?.maxDelayMs ?? 5_000,
      maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 30_000,
    };
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.limiter =
      options.quota ??
      new TokenBucket({
        ratePerSecond: options.requestsPerSecond,
        ...(options.burst === undefined ? {} : { burst: options.burst }),
        sleep: this.sleep,
        ...(options.now ? { now: options.now } : {}),
      });
    this.onRequest = options.onRequest;
    this.credentialsSource = options.credentials;
    this.credentialsMaxAgeMs = options.credentialsMaxAgeMs ?? 300_000;
    if (typeof options.credentials === 'object') this.registerCredentials(options.credentials);
  }

  /** Requests sent so far (events, retries, tokens): what counts against the quota. */
  requestsSent(): number {
    return this.sent;
  }

  async fetchEvents(customer: { customerId: string; scope: Scope }): Promise<FetchedEvents> {
    const { customerId, scope } = customer;
    if (!CustomerIdSchema.safeParse(customerId).success) {
      throw new InvalidCustomerIdError(customerId);
    }
    const url = eventsUrl(this.baseUrl, this.eventsPath, customerId, scope);
    let regenerated = false;
    return this.withRetries(
      { operation: 'events', customerId },
      async (): Promise<Verdict<FetchedEvents>> => {
        let authorization: Authorization;
        try {
          authorization = await this.authorization();
        } catch (error) {
          if (!(error instanceof CapillaryAuthError)) throw error;
          return {
            ok: false,
            failure: error.failure,
            status: error.status,
            detail: error.message,
            retryable: false,
            cause: error,
          };
        }
        const exchange = await this.send('GET', url, {
          accept: 'application/json',
          'user-agent': USER_AGENT,
          ...authorization.headers,
        });
        if (
          exchange.kind === 'response' &&
          exchange.status === 401 &&
          authorization.token !== undefined &&
          !regenerated
        ) {
          regenerated = true;
          this.tokens?.invalidate(authorization.token);
          return {
            ok: false,
            failure: 'unauthorized',
            status: 401,
            detail: 'the OAuth token was rejected',
            retryable: true,
            retryNow: true,
          };
        }
        return this.interpretEvents(exchange);
      },
      (failed, attempts) =>
        new CapillaryRequestError(customerId, {
          failure: failed.failure,
          status: failed.status,
          attempts,
          detail: this.redactor.redact(failed.detail),
          cause: failed.cause,
        }),
    );
  }

  // ---- retries -------------------------------------------------------------------------------

  private async withRetries<T>(
    context: { operation: 'events' | 'token'; customerId?: string },
    attempt: () => Promise<Verdict<T>>,
    toError: (failed: Failed, attempts: number) => CapillaryError,
  ): Promise<T> {
    let counted = 0;
    let sent = 0;
    for (;;) {
      counted += 1;
      sent += 1;
      const verdict = await attempt();
      if (verdict.ok) return verdict.value;
      if (verdict.retryNow) {
        counted -= 1;
        this.log('info', 'Capillary rejected the OAuth token (HTTP 401): regenerating it once', {
          ...context,
        });
        continue;
      }
      if (!verdict.retryable || counted >= this.maxAttempts) throw toError(verdict, sent);
      const delayMs =
        verdict.retryAfterMs === undefined
          ? backoffDelayMs(counted, this.retry, this.random)
          : Math.min(verdict.retryAfterMs, this.retry.maxRetryAfterMs);

      this.log('warn', 'Capillary request failed: retrying', {
        ...context,
        attempt: counted,
        maxAttempts: this.maxAttempts,
        status: verdict.status,
        failure: verdict.failure,
        problem: verdict.detail,
        delayMs,
      });
      if (verdict.failure === 'throttled' && verdict.retryAfterMs !== undefined) {
        // The limit is the API key's: every request waits, this one too (its next send takes a
        // token from the paused limiter).
        await this.limiter.pauseFor(delayMs);
      } else {
        await this.sleep(delayMs);
      }
    }
  }

  // ---- interpretation ------------------------------------------------------------------------

  private interpretEvents(exchange: Exchange): Verdict<FetchedEvents> {
    const common = this.interpretCommon(exchange);
    if (common) return common;
    const view = this.view(exchange as Extract<Exchange, { kind: 'response' }>);
    if (!view.ok) return view;
    const interpreted = interpretEventsBody(view.value, this.show);
    if (!interpreted.ok) return failed(interpreted.failure, view.value.status, interpreted.detail);
    const { events, rejected, warnings } = interpreted.value;
    return {
      ok: true,
      value: {
        events,
        rejected: (rejected ?? []).map((event) => ({
          ...event,
          key: this.redactor.redact(event.key),
          reason: this.redactor.redact(event.reason),
        })),
        warnings: warnings.map((entry) => this.redactor.redact(describeApiMessage(entry))),
      },
    };
  }

  /** Body text a message may show: redacted whole, flattened, then cut with no secret piece at the cut. */
  private readonly show = (text: string): string =>
    this.redactor.redactAndCut(
      this.redactor.redact(text).replace(/\s+/g, ' ').trim(),
      BODY_SNIPPET_CHARS,
    );

  /** The body as text, or a failure when it is not valid UTF-8. */
  private view(
    exchange: Extract<Exchange, { kind: 'response' }>,
  ): Verdict<{ status: number; headers: IncomingHttpHeaders; text: string }> {
    const text = decodeUtf8(exchange.bytes);
    if (text === undefined) {
      return failed(
        'malformed',
        exchange.status,
        `the body is not valid UTF-8 (${exchange.bytes.length} bytes, HTTP ${exchange.status})`,
      );
    }
    return { ok: true, value: { status: exchange.status, headers: exchange.headers, text } };
  }

  private interpretToken(exchange: Exchange): Verdict<AccessToken> {
    const common = this.interpretCommon(exchange);
    if (common) return common;
    const view = this.view(exchange as Extract<Exchange, { kind: 'response' }>);
    if (!view.ok) return view;
    const { status, text } = view.value;
    const json = parseJson(text);
    if (!json.ok)
      return failed(
        'malformed',
        status,
        `token response: ${describeNotJson(view.value, this.show)}`,
      );
    const errors = apiErrors(json.value);
    if (errors !== undefined) return failed('api-errors', status, errors);
    const parsed = TokenResponseSchema.safeParse(json.value);
    if (!parsed.success) {
      return failed(
        'invalid-response',
        status,
        `unexpected token response shape: ${describeIssues(parsed.error.issues)}`,
      );
    }
    return {
      ok: true,
      value: { value: parsed.data.data.accessToken, ttlSeconds: parsed.data.data.ttlSeconds },
    };
  }

  /** Outcomes that do not depend on the endpoint: no response, throttling, errors; `undefined` for 2xx. */
  private interpretCommon(exchange: Exchange): Failed | undefined {
    if (exchange.kind === 'no-response') {
      return {
        ok: false,
        failure: exchange.failure,
        status: undefined,
        detail: exchange.detail,
        retryable: true,
        cause: exchange.cause,
      };
    }
    if (exchange.kind === 'bad-body') {
      return {
        ok: false,
        failure: exchange.failure,
        status: exchange.status,
        detail: exchange.detail,
        // A slow or cut-off body may be a passing fault; a too-large or compressed one is not.
        retryable: exchange.failure !== 'malformed',
      };
    }
    const { status, headers } = exchange;
    if (status >= 200 && status < 300) return undefined;
    if (status >= 300 && status < 400) {
      return failed('redirected', status, describeRedirect(status, headers, exchange.url));
    }
    const view = this.view(exchange);
    if (!view.ok) return view;
    const message = describeErrorBody(view.value, this.show);
    if (status === 429 || status >= 500) {
      return {
        ok: false,
        failure: status === 429 ? 'throttled' : 'server',
        status,
        detail: message,
        retryable: true,
        retryAfterMs: parseRetryAfterMs(headers['retry-after']),
      };
    }
    return failed(status === 401 || status === 403 ? 'unauthorized' : 'rejected', status, message);
  }

  // ---- authentication ------------------------------------------------------------------------

  private async authorization(): Promise<Authorization> {
    const credentials = await this.loadCredentials();
    if (credentials === undefined) return { headers: {} };
    if (credentials.kind === 'basic') {
      this.basicHeader ??= basicAuthorization(credentials.username, credentials.password);
      return { headers: { authorization: this.basicHeader } };
    }
    this.tokens ??= new OAuthTokenProvider({
      generate: () => this.generateToken(credentials),
      ...(this.now ? { now: this.now } : {}),
    });
    const token = await this.tokens.token();
    return { headers: { [OAUTH_TOKEN_HEADER]: token }, token };
  }

  private loadCredentials(): Promise<CapillaryCredentials | undefined> {
    const source = this.credentialsSource;
    if (typeof source !== 'function') return Promise.resolve(source);
    const now = this.now ? this.now() : performance.now();
    if (!this.credentials || now - this.credentialsLoadedAt >= this.credentialsMaxAgeMs) {
      this.credentialsLoadedAt = now;
      this.credentials = source().then(
        (credentials) => {
          this.registerCredentials(credentials);
          // Rotated: the Basic header and any OAuth token belong to the old ones.
          const fingerprint = JSON.stringify(credentials);
          if (this.activeCredentials !== undefined && this.activeCredentials !== fingerprint) {
            this.basicHeader = undefined;
            this.tokens = undefined;
          }
          this.activeCredentials = fingerprint;
          return credentials;
        },
        (error: unknown) => {
          this.credentials = undefined;
          throw new CapillaryAuthError('Loading the Capillary credentials', {
            failure: 'unauthorized',
            status: undefined,
            attempts: 0,
            detail: this.redactor.redact(describeError(error)),
            cause: error,
          });
        },
      );
    }
    return this.credentials;
  }

  private registerCredentials(credentials: CapillaryCredentials): void {
    if (credentials.kind === 'basic') {
      const header = basicAuthorization(credentials.username, credentials.password);
      this.redactor.add(
        credentials.password,
        md5Hex(credentials.password),
        header,
        header.slice('Basic '.length),
      );
    } else {
      this.redactor.add(credentials.clientSecret);
    }
  }

  private async generateToken(
    credentials: Extract<CapillaryCredentials, { kind: 'oauth' }>,
  ): Promise<AccessToken> {
    const url = tokenUrl(this.baseUrl);
    const body = JSON.stringify({ key: credentials.clientKey, secret: credentials.clientSecret });
    const token = await this.withRetries(
      { operation: 'token' },
      async () =>
        this.interpretToken(
          await this.send(
            'POST',
            url,
            {
              accept: 'application/json',
              'content-type': 'application/json',
              'user-agent': USER_AGENT,
            },
            body,
          ),
        ),
      (failed, attempts) =>
        new CapillaryAuthError('Capillary OAuth token generation', {
          failure: failed.failure,
          status: failed.status,
          attempts,
          detail: this.redactor.redact(failed.detail),
          cause: failed.cause,
        }),
    );
    this.redactor.addRotating(token.value);
    this.log('debug', 'Capillary OAuth token generated', { ttlSeconds: token.ttlSeconds });
    return token;
  }

  // ---- transport -----------------------------------------------------------------------------

  private async send(
    method: 'GET' | 'POST',
    url: URL,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Exchange> {
    await this.limiter.take();
    this.sent++;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const sentAt = performance.now();
    try {
      const response = await request(url, {
        method,
        headers,
        body: body ?? null,
        dispatcher: this.dispatcher,
        signal: controller.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const status = response.statusCode;
      if (status >= 300 && status < 400) {
        // Never read, never followed.
        discardBody(response.body);
        return { kind: 'response', status, headers: response.headers, bytes: Buffer.alloc(0), url };
      }
      let received = 0;
      try {
        const read = await readCappedBody(
          response.body,
          response.headers,
          this.maxResponseBytes,
          (bytes) => {
            received = bytes;
          },
        );
        if (read.kind === 'complete') {
          return { kind: 'response', status, headers: response.headers, bytes: read.bytes, url };
        }
        const detail =
          read.kind === 'encoded'
            ? `the body is compressed (Content-Encoding: ${read.encoding}) though no compression was asked for: refused unread`
            : `the body is larger than ${this.maxResponseBytes} bytes (${read.announcedBytes === undefined ? `stopped after ${read.receivedBytes}` : `${read.announcedBytes} announced`}): refused`;
        return { kind: 'bad-body', status, failure: 'malformed', detail };
      } catch (error) {
        if (timedOut || isTimeout(error)) {
          return {
            kind: 'bad-body',
            status,
            failure: 'timeout',
            detail: `the body did not arrive within ${this.timeoutMs} ms (${received} bytes received): a slow or stalled response`,
          };
        }
        return {
          kind: 'bad-body',
          status,
          failure: 'network',
          detail: `the body was cut off after ${received} bytes: ${describeError(error)}`,
        };
      }
    } catch (error) {
      if (timedOut || isTimeout(error)) {
        return {
          kind: 'no-response',
          failure: 'timeout',
          detail: `no answer within ${this.timeoutMs} ms`,
          cause: error,
        };
      }
      return {
        kind: 'no-response',
        failure: 'network',
        detail: `network error: ${describeError(error)}`,
        cause: error,
      };
    } finally {
      clearTimeout(timer);
      this.onRequest?.({ latencyMs: performance.now() - sentAt });
    }
  }

  private log(
    level: keyof Logger,
    message: string,
    attributes: Record<string, string | number | undefined>,
  ): void {
    const clean: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== undefined) {
        clean[name] = typeof value === 'string' ? this.redactor.redact(value) : value;
      }
    }
    this.logger[level](this.redactor.redact(message), clean);
  }
}

function failed(failure: CapillaryFailure, status: number, detail: string): Failed {
  return { ok: false, failure, status, detail, retryable: false };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map((issue) => {
    const path = issue.path
      .map((part, index) =>
        typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`,
      )
      .join('');
    return `${path || '(root)'}: ${issue.message}`;
  });
  const more = issues.length > shown.length ? ` (+${issues.length - shown.length} more)` : '';
  return `${shown.join('; ')}${more}`;
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}
