import { ConfigError, PollerError } from '../../domain/errors.js';

/**
 * What went wrong with a Capillary call:
 * - `timeout`, `network`: no HTTP response (transient);
 * - `throttled`: HTTP 429 after every allowed attempt (transient; the customer is not polled);
 * - `server`: HTTP 5xx after every allowed attempt (transient);
 * - `unauthorized`: HTTP 401 (also after one token regeneration) or no usable credentials;
 * - `rejected`: another non-2xx status (a 4xx: not retried);
 * - `redirected`: a 3xx, never followed (credentials go to the configured host only);
 * - `malformed`: the body is not JSON, not UTF-8, compressed unasked, or too large;
 * - `invalid-response`: JSON that does not match the documented envelope;
 * - `api-errors`: the envelope carries a non-empty `errors`, whatever the HTTP status.
 */
export type CapillaryFailure =
  | 'timeout'
  | 'network'
  | 'throttled'
  | 'server'
  | 'unauthorized'
  | 'rejected'
  | 'redirected'
  | 'malformed'
  | 'invalid-response'
  | 'api-errors';

const TRANSIENT: ReadonlySet<CapillaryFailure> = new Set([
  'timeout',
  'network',
  'throttled',
  'server',
]);

const REASONS: Record<CapillaryFailure, string> = {
  timeout:
    'Capillary did not answer in time: it is retried on the next poll; raise CAPILLARY_TIMEOUT_MS if it persists',
  network: 'Capillary could not be reached: check CAPILLARY_BASE_URL and the network path',
  throttled:
    'Capillary is rate limiting this API key: lower CAPILLARY_RPS or ask Capillary for a higher limit',
  server: 'Capillary answered with a server error: it is retried on the next poll',
  unauthorized:
    'check the Capillary credentials and their read access to the "Behavioural Events" resource',
  rejected: 'Capillary refused the request: check CAPILLARY_EVENTS_PATH and the customer id',
  redirected:
    'Capillary answered with a redirect, which is never followed: set CAPILLARY_BASE_URL to the final https:// address',
  malformed:
    'Capillary answered with a body that cannot be read as JSON (see the message): check CAPILLARY_BASE_URL and any proxy in between',
  'invalid-response':
    'Capillary answered with an unexpected shape: check CAPILLARY_EVENTS_PATH and the API version',
  'api-errors': "Capillary reported errors for this request: see the API's message",
};

export interface CapillaryErrorInit {
  failure: CapillaryFailure;
  /** HTTP status of the last response, `undefined` when none arrived. */
  status: number | undefined;
  /** Requests sent for this call, the one repeated after a token regeneration included. */
  attempts: number;
  /** Already redacted: the message is built from it. */
  detail: string;
  cause?: unknown;
  /** What to do about it, when the failure's usual advice does not fit the request. */
  reason?: string;
}

/** Base of every failure of a Capillary call; its message never contains a credential or token. */
export class CapillaryError extends PollerError {
  readonly failure: CapillaryFailure;
  readonly status: number | undefined;
  readonly attempts: number;
  /** What went wrong, without the prefix (already redacted). */
  readonly detail: string;
  /** `true` when the same call may well succeed later (timeouts, throttling, 5xx). */
  readonly transient: boolean;

  constructor(what: string, init: CapillaryErrorInit) {
    const status = init.status === undefined ? 'no HTTP response' : `HTTP ${init.status}`;
    const attempts = init.attempts === 1 ? '1 attempt' : `${init.attempts} attempts`;
    super(
      `${what} failed (${status}, ${attempts}): ${init.detail}`,
      init.reason ?? REASONS[init.failure],
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.failure = init.failure;
    this.status = init.status;
    this.attempts = init.attempts;
    this.detail = init.detail;
    this.transient = TRANSIENT.has(init.failure);
  }
}

/** A poll of one customer failed. */
export class CapillaryRequestError extends CapillaryError {
  constructor(
    readonly customerId: string,
    init: CapillaryErrorInit,
  ) {
    super(`Capillary events request for customer ${customerId}`, init);
  }
}

/** A request of the org-wide event log (the change feed) failed. */
export class CapillaryEventLogError extends CapillaryError {
  constructor(init: CapillaryErrorInit) {
    super('Capillary event log request', init);
  }
}

/**
 * A customer lookup of the change feed failed. Its message never holds the identifier value: the
 * value is asked again later.
 */
export class CapillaryCustomerLookupError extends CapillaryError {
  constructor(init: CapillaryErrorInit) {
    super('Capillary customer lookup', {
      ...init,
      reason:
        init.failure === 'unauthorized'
          ? "the credentials need read access to Capillary's customer APIs for the lookup: grant it, or set CHANGE_FEED_LOOKUP=off"
          : init.failure === 'rejected' || init.failure === 'invalid-response'
            ? 'check CHANGE_FEED_LOOKUP_SOURCE and CHANGE_FEED_LOOKUP_IDENTIFIER, or set CHANGE_FEED_LOOKUP=off'
            : REASONS[init.failure],
    });
  }
}

/** The OAuth token could not be generated, or the credentials could not be loaded. */
export class CapillaryAuthError extends CapillaryError {}

/** The base URL would send credentials in clear text or is not usable. */
export class InsecureCapillaryUrlError extends ConfigError {
  constructor(problem: string) {
    super('CAPILLARY_BASE_URL', problem);
  }
}
