// The Capillary client, composed in one place: the transport sends (within the quota and the
// deadline, capillary-transport.ts), the interpreter reads (capillary-responses.ts), the retry
// policy decides (RetryPolicy, below), the authenticator signs (capillary-auth.ts).
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { CustomerIdSchema, type Scope } from '../../domain/customer-state.js';
import { InvalidCustomerIdError } from '../../domain/errors.js';
import type {
  CustomerEventsSource,
  CustomerLookup,
  CustomerLookupAnswer,
  EventLogPage,
  EventLogQuery,
  EventLogSource,
  FetchedEvents,
  Logger,
  QuotaGate,
} from '../../domain/ports.js';
import { redactSecrets, SecretRedactor } from '../../domain/redaction.js';
import { POLLER_VERSION } from '../../version.js';
import { backoffDelayMs } from '../backoff.js';
import {
  type AccessToken,
  type Authorization,
  CapillaryAuthenticator,
  type CredentialsSource,
  type OAuthCredentials,
} from './capillary-auth.js';
import {
  CapillaryAuthError,
  CapillaryCustomerLookupError,
  type CapillaryError,
  CapillaryEventLogError,
  CapillaryRequestError,
} from './capillary-errors.js';
import {
  checkBaseUrl,
  checkEventsPath,
  customerLookupUrl,
  DEFAULT_CUSTOMER_LOOKUP_PATH,
  DEFAULT_EVENT_LOG_PATH,
  DEFAULT_EVENTS_PATH,
  type EventLogDateFormat,
  eventLogUrl,
  eventsUrl,
  identifierNameFor,
  type LookupIdentifierName,
  tokenUrl,
} from './capillary-requests.js';
import { ExchangeInterpreter, type Failed, type Verdict } from './capillary-responses.js';
import {
  CapillaryTransport,
  type Exchange,
  sharedDispatcher,
  TokenBucket,
} from './capillary-transport.js';

const USER_AGENT = `capillary-event-poller/${POLLER_VERSION}`;

export interface CapillaryClientOptions {
  /** `https://eu.api.capillarytech.com`; plain `http://` only for loopback hosts. May carry a path prefix. */
  baseUrl: URL;
  /** Path and query template with `{customerId}`. Default `DEFAULT_EVENTS_PATH`. */
  eventsPath?: string;
  /** The org-wide event log (the change feed): its path (default `/v2/events/logs`) and date format (default epoch ms). */
  eventLog?: { path?: string; dateFormat?: EventLogDateFormat };
  /**
   * The customer lookup (the change feed's `CHANGE_FEED_LOOKUP`): `source` and `identifierName`
   * of each request. Default `INSTORE` and `auto` (chosen by the value's form).
   */
  customerLookup?: { source?: string; identifierName?: LookupIdentifierName };
  /**
   * The credentials, or a function that loads them (its result is reused for
   * `credentialsMaxAgeMs`, then loaded again so a rotated secret is picked up; a failed load is
   * tried again at the next request). `undefined`: no authentication (the local sandbox).
   */
  credentials: CredentialsSource;
  /**
   * The process's secret registry: the client adds the credentials and tokens it handles, and every
   * other sink of the process redacts with the same registry. Default: one of its own.
   */
  redactor?: SecretRedactor;
  /** Deadline of one HTTP request (connect, headers and body: a body that trickles in fails at it). */
  timeoutMs: number;
  /** Epoch ms by which every request must be over (a Lambda invocation's). Default: none. */
  deadline?: (() => number) | undefined;
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
  /** How long loaded credentials are reused. Default 5 minutes (`DEFAULT_CREDENTIALS_MAX_AGE_MS`). */
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
  /** Tests: monotonic clock in ms for the rate limiter, token expiry and credentials' age. Default `performance.now()`. */
  now?: () => number;
}

const NO_LOGGER: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Reads one customer's recent events from Capillary's `GET /v2/events/event_data/`. */
export class CapillaryClient implements CustomerEventsSource, EventLogSource, CustomerLookup {
  private readonly baseUrl: URL;
  private readonly eventsPath: string;
  private readonly eventLog: { path: string; dateFormat: EventLogDateFormat };
  private readonly customerLookup: { source: string; identifierName: LookupIdentifierName };
  private readonly redactor: SecretRedactor;
  private readonly logger: Logger;
  private readonly transport: CapillaryTransport;
  private readonly interpreter: ExchangeInterpreter;
  private readonly retries: RetryPolicy;
  private readonly auth: CapillaryAuthenticator;

  constructor(options: CapillaryClientOptions) {
    this.baseUrl = checkBaseUrl(options.baseUrl);
    this.redactor = options.redactor ?? new SecretRedactor();
    this.eventsPath = checkEventsPath(options.eventsPath ?? DEFAULT_EVENTS_PATH);
    this.eventLog = {
      path: options.eventLog?.path ?? DEFAULT_EVENT_LOG_PATH,
      dateFormat: options.eventLog?.dateFormat ?? 'epoch-ms',
    };
    this.customerLookup = {
      source: options.customerLookup?.source ?? 'INSTORE',
      identifierName: options.customerLookup?.identifierName ?? 'auto',
    };
    const { timeoutMs, maxAttempts, now } = options;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
    }
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a whole number >= 1, got ${maxAttempts}`);
    }
    const sleep = options.sleep ?? ((ms: number) => delay(ms));
    const quota =
      options.quota ??
      new TokenBucket({
        ratePerSecond: options.requestsPerSecond,
        ...(options.burst === undefined ? {} : { burst: options.burst }),
        sleep,
        ...(now ? { now } : {}),
      });
    this.logger = this.redactor.logger(options.logger ?? NO_LOGGER);
    this.transport = new CapillaryTransport({
      timeoutMs,
      deadline: options.deadline,
      dispatcher: options.dispatcher ?? sharedDispatcher(timeoutMs),
      quota,
      ...(options.maxResponseBytes === undefined
        ? {}
        : { maxResponseBytes: options.maxResponseBytes }),
      onRequest: options.onRequest,
    });
    this.interpreter = new ExchangeInterpreter(this.redactor);
    this.retries = new RetryPolicy({
      maxAttempts,
      retry: options.retry,
      quota,
      sleep,
      random: options.random ?? Math.random,
      logger: this.logger,
      deadline: options.deadline,
    });
    this.auth = new CapillaryAuthenticator({
      credentials: options.credentials,
      credentialsMaxAgeMs: options.credentialsMaxAgeMs,
      redactor: this.redactor,
      generateToken: (credentials) => this.generateToken(credentials),
      now,
    });
  }

  /** Requests sent so far (events, retries, tokens): what counts against the quota. */
  requestsSent(): number {
    return this.transport.requestsSent();
  }

  async fetchEvents(customer: { customerId: string; scope: Scope }): Promise<FetchedEvents> {
    const { customerId, scope } = customer;
    if (!CustomerIdSchema.safeParse(customerId).success) {
      throw new InvalidCustomerIdError(customerId);
    }
    const url = eventsUrl(this.baseUrl, this.eventsPath, customerId, scope);
    const get = this.authorizedGet(url);
    return this.retries.run(
      { operation: 'events', customerId },
      async (): Promise<Verdict<FetchedEvents>> => {
        const answer = await get();
        return answer.kind === 'exchange'
          ? this.interpreter.events(answer.exchange)
          : answer.verdict;
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

  /**
   * One slice of the org-wide event log (`GET /v2/events/logs`), through the same quota, auth,
   * retries, deadline, body cap and redaction as `fetchEvents`. A 404 is `unavailable`, not an error.
   */
  async readEventLog(query: EventLogQuery): Promise<EventLogPage> {
    const url = eventLogUrl(this.baseUrl, this.eventLog.path, query, this.eventLog.dateFormat);
    const get = this.authorizedGet(url);
    return this.retries.run(
      { operation: 'event-log' },
      async (): Promise<Verdict<EventLogPage>> => {
        const answer = await get();
        return answer.kind === 'exchange'
          ? this.interpreter.eventLog(answer.exchange)
          : answer.verdict;
      },
      (failed, attempts) =>
        new CapillaryEventLogError({
          failure: failed.failure,
          status: failed.status,
          attempts,
          detail: this.redactor.redact(failed.detail),
          cause: failed.cause,
        }),
    );
  }

  /**
   * Which customer an identifier value belongs to (`GET /v2/customers/lookup/customerDetails`),
   * through the same quota, auth, retries, deadline and body cap as `fetchEvents`. "No such
   * customer" is an answer; a failure throws `CapillaryCustomerLookupError`, whose message, like
   * every log line of its retries, holds neither the value nor any of the answer's body.
   */
  async lookupCustomer(identifier: string): Promise<CustomerLookupAnswer> {
    const { source, identifierName } = this.customerLookup;
    const url = customerLookupUrl(this.baseUrl, DEFAULT_CUSTOMER_LOOKUP_PATH, {
      source,
      identifierName: identifierNameFor(identifier, identifierName),
      identifierValue: identifier,
    });
    // Belt and braces: a transport message that echoed the URL would carry the value.
    const hide = (text: string) =>
      redactSecrets(this.redactor.redact(text), [
        identifier,
        encodeURIComponent(identifier),
        new URLSearchParams({ v: identifier }).toString().slice(2),
      ]);
    const get = this.authorizedGet(url);
    return this.retries.run(
      { operation: 'customer-lookup' },
      async (): Promise<Verdict<CustomerLookupAnswer>> => {
        const answer = await get();
        const verdict =
          answer.kind === 'exchange'
            ? this.interpreter.customerLookup(answer.exchange)
            : answer.verdict;
        return verdict.ok ? verdict : { ...verdict, detail: hide(verdict.detail) };
      },
      // No cause: an HTTP library's error may carry the URL, and with it the value.
      (failed, attempts) =>
        new CapillaryCustomerLookupError({
          failure: failed.failure,
          status: failed.status,
          attempts,
          detail: hide(failed.detail),
        }),
    );
  }

  /**
   * One authorized GET per call, for the retry loop of one operation: an auth failure, or the
   * first 401 of an OAuth token (invalidated, so the retry at once gets a new one), is a verdict;
   * anything else is the exchange for the interpreter.
   */
  private authorizedGet(
    url: URL,
  ): () => Promise<
    { kind: 'exchange'; exchange: Exchange } | { kind: 'verdict'; verdict: Verdict<never> }
  > {
    let regenerated = false;
    return async () => {
      let authorization: Authorization;
      try {
        authorization = await this.auth.authorization();
      } catch (error) {
        if (!(error instanceof CapillaryAuthError)) throw error;
        const { failure, status, message } = error;
        return {
          kind: 'verdict',
          verdict: { ok: false, failure, status, detail: message, retryable: false, cause: error },
        };
      }
      const exchange = await this.transport.send('GET', url, {
        accept: 'application/json',
        'user-agent': USER_AGENT,
        ...authorization.headers,
      });
      const { token } = authorization;
      if (exchange.kind === 'response' && exchange.status === 401 && token && !regenerated) {
        regenerated = true;
        this.auth.invalidate(token);
        const detail = 'the OAuth token was rejected';
        return {
          kind: 'verdict',
          verdict: {
            ok: false,
            failure: 'unauthorized',
            status: 401,
            detail,
            retryable: true,
            retryNow: true,
          },
        };
      }
      return { kind: 'exchange', exchange };
    };
  }

  private async generateToken(credentials: OAuthCredentials): Promise<AccessToken> {
    const url = tokenUrl(this.baseUrl);
    const body = JSON.stringify({ key: credentials.clientKey, secret: credentials.clientSecret });
    const headers = {
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
    };
    const token = await this.retries.run(
      { operation: 'token' },
      async () => this.interpreter.token(await this.transport.send('POST', url, headers, body)),
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
    this.logger.debug('Capillary OAuth token generated', { ttlSeconds: token.ttlSeconds });
    return token;
  }
}

interface CapillaryRetryOptions {
  /** Backoff ceiling before the first retry (doubles each retry, jittered). Default 250 ms. */
  baseDelayMs?: number;
  /** Largest backoff ceiling. Default 5 s. */
  maxDelayMs?: number;
  /** `Retry-After` is honoured up to this. Default 30 s. */
  maxRetryAfterMs?: number;
}

interface RetryPolicyOptions {
  /** Requests per call, first one included (a regeneration after a 401 gets one extra). */
  maxAttempts: number;
  retry?: CapillaryRetryOptions | undefined;
  /** Paused for a 429's Retry-After, so every request of the API key waits. */
  quota: QuotaGate;
  sleep: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random: () => number;
  /** Epoch ms by which every request must be over: no retry waits past it. Default: none. */
  deadline?: (() => number) | undefined;
  /** Already redacting. */
  logger: Logger;
}

/**
 * Retries a Capillary call: timeouts, network faults, 429 and 5xx, up to `maxAttempts`, with
 * equal-jitter backoff or the server's Retry-After (capped).
 *
 * Ours, not undici's RetryAgent: its retries happen inside one dispatch, so a retry could neither
 * take its share of the QuotaGate first (the gate is async and shared by every poller) nor pause
 * that gate for a 429, nor be timed and counted per attempt for the metrics; and it would hand
 * back only the last response, not the bounded, redacted reading of each failure.
 */
class RetryPolicy {
  private readonly delays: { baseDelayMs: number; maxDelayMs: number; maxRetryAfterMs: number };

  constructor(private readonly options: RetryPolicyOptions) {
    this.delays = {
      baseDelayMs: options.retry?.baseDelayMs ?? 250,
      maxDelayMs: options.retry?.maxDelayMs ?? 5_000,
      maxRetryAfterMs: options.retry?.maxRetryAfterMs ?? 30_000,
    };
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the attempts run out; then throws
   * `toError(last failure, requests sent)`.
   */
  async run<T>(
    context: {
      operation: 'events' | 'event-log' | 'customer-lookup' | 'token';
      customerId?: string;
    },
    attempt: () => Promise<Verdict<T>>,
    toError: (failed: Failed, attempts: number) => CapillaryError,
  ): Promise<T> {
    const { maxAttempts, logger } = this.options;
    let counted = 0;
    let sent = 0;
    for (;;) {
      counted += 1;
      sent += 1;
      const verdict = await attempt();
      if (verdict.ok) return verdict.value;
      if (verdict.retryNow) {
        counted -= 1;
        logger.info('Capillary rejected the OAuth token (HTTP 401): regenerating it once', {
          ...context,
        });
        continue;
      }
      if (!verdict.retryable || counted >= maxAttempts) throw toError(verdict, sent);
      const delayMs =
        verdict.retryAfterMs === undefined
          ? backoffDelayMs(counted, { ...this.delays, jitter: 'equal' }, this.options.random)
          : Math.min(verdict.retryAfterMs, this.delays.maxRetryAfterMs);
      const { deadline } = this.options;
      if (deadline !== undefined && Date.now() + delayMs >= deadline()) {
        // A retry after the deadline could not be sent: the last failure is the answer.
        throw toError(verdict, sent);
      }

      logger.warn('Capillary request failed: retrying', {
        ...context,
        attempt: counted,
        maxAttempts,
        status: verdict.status,
        failure: verdict.failure,
        problem: verdict.detail,
        delayMs,
      });
      if (verdict.failure === 'throttled' && verdict.retryAfterMs !== undefined) {
        // The limit is the API key's: every request waits, this one too (its next send takes a
        // token from the paused gate).
        await this.options.quota.pauseFor(delayMs);
      } else {
        await this.options.sleep(delayMs);
      }
    }
  }
}
