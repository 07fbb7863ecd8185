// What Capillary's answers mean: the events of a customer, a page of the event log, an OAuth token,
// or a failure that says what went wrong and whether (and when) to try again.
import type { IncomingHttpHeaders } from 'node:http';
import * as z from 'zod';
import { describeApiMessage, parseEventWindow } from '../../domain/capillary-event.js';
import { CustomerIdSchema } from '../../domain/customer-state.js';
import { parseEventLogPage } from '../../domain/feed/event-log-record.js';
import type { CustomerLookupAnswer, EventLogPage, FetchedEvents } from '../../domain/ports.js';
import type { SecretRedactor } from '../../domain/redaction.js';
import { type AccessToken, TokenResponseSchema } from './capillary-auth.js';
import type { CapillaryFailure } from './capillary-errors.js';
import { decodeUtf8, type Exchange, headerText } from './capillary-transport.js';

/** A request that did not give what was asked, and whether trying again may help. */
export interface Failed {
  ok: false;
  failure: CapillaryFailure;
  status: number | undefined;
  /** Not yet redacted: whoever shows it redacts it. */
  detail: string;
  retryable: boolean;
  retryAfterMs?: number | undefined;
  /** Retry at once without counting the attempt (after an OAuth token regeneration). */
  retryNow?: boolean;
  cause?: unknown;
}
export type Verdict<T> = { ok: true; value: T } | Failed;

type Response = Extract<Exchange, { kind: 'response' }>;

/**
 * Reads what an exchange means: the events of a customer, or a new OAuth token, or a failure
 * that says what went wrong and whether to retry. Body text it quotes is redacted and cut.
 */
export class ExchangeInterpreter {
  constructor(private readonly redactor: SecretRedactor) {}

  events(exchange: Exchange): Verdict<FetchedEvents> {
    const common = this.common(exchange);
    if (common) return common;
    const view = this.view(exchange as Response);
    if (!view.ok) return view;
    const interpreted = interpretEventsBody(view.value, this.show);
    if (!interpreted.ok) return failed(interpreted.failure, view.value.status, interpreted.detail);
    const { events, rejected, warnings } = interpreted.value;
    const redact = (text: string) => this.redactor.redact(text);
    return {
      ok: true,
      value: {
        events,
        rejected: (rejected ?? []).map((event) => ({
          ...event,
          key: redact(event.key),
          reason: redact(event.reason),
        })),
        warnings: warnings.map((entry) => redact(describeApiMessage(entry))),
      },
    };
  }

  /** The org-wide event log: a 404 means the org has none (an outcome, not a failure). */
  eventLog(exchange: Exchange): Verdict<EventLogPage> {
    if (exchange.kind === 'response' && exchange.status === 404) {
      const view = this.view(exchange);
      const detail = view.ok ? describeErrorBody(view.value, this.show) : 'HTTP 404';
      return { ok: true, value: { kind: 'unavailable', detail: `HTTP 404: ${detail}` } };
    }
    const common = this.common(exchange);
    if (common) return common;
    const view = this.view(exchange as Response);
    if (!view.ok) return view;
    const interpreted = interpretEventLogBody(view.value, this.show);
    if (!interpreted.ok) return failed(interpreted.failure, view.value.status, interpreted.detail);
    return interpreted;
  }

  /**
   * The customer lookup: "no such customer" (404, or a not-found code at any status) is an
   * answer. Its bodies hold personal data, so a failure names the status and error codes only.
   */
  customerLookup(exchange: Exchange): Verdict<CustomerLookupAnswer> {
    const common = this.common(exchange);
    if (exchange.kind !== 'response' || common?.failure === 'redirected') {
      return common ?? failed('malformed', 0, 'no response');
    }
    const { status } = exchange;
    const text = decodeUtf8(exchange.bytes);
    const json = text === undefined ? ({ ok: false } as const) : parseJson(text);
    const codes = json.ok ? lookupErrorCodes(json.value) : [];
    if (isNoCustomer(status, codes)) return { ok: true, value: { kind: 'not-found' } };
    if (common) return { ...common, detail: describeLookupAnswer(status, codes) };
    const interpreted = interpretCustomerLookupBody(status, json);
    if (!interpreted.ok) return failed(interpreted.failure, status, interpreted.detail);
    return interpreted;
  }

  token(exchange: Exchange): Verdict<AccessToken> {
    const common = this.common(exchange);
    if (common) return common;
    const view = this.view(exchange as Response);
    if (!view.ok) return view;
    const { status, text } = view.value;
    const json = parseJson(text);
    if (!json.ok) {
      return failed(
        'malformed',
        status,
        `token response: ${describeNotJson(view.value, this.show)}`,
      );
    }
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

  /** Body text a message may show: redacted whole, flattened, then cut with no secret piece at the cut. */
  private readonly show = (text: string): string =>
    this.redactor.redactAndCut(
      this.redactor.redact(text).replace(/\s+/g, ' ').trim(),
      BODY_SNIPPET_CHARS,
    );

  /** The body as text, or a failure when it is not valid UTF-8. */
  private view(exchange: Response): Verdict<BodyView> {
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

  /** Outcomes that do not depend on the endpoint: no response, throttling, errors; `undefined` for 2xx. */
  private common(exchange: Exchange): Failed | undefined {
    if (exchange.kind === 'no-response') {
      const { failure, detail, cause } = exchange;
      return { ok: false, failure, status: undefined, detail, retryable: true, cause };
    }
    if (exchange.kind === 'bad-body') {
      const { failure, status, detail } = exchange;
      // A slow or cut-off body may be a passing fault; a too-large or compressed one is not.
      return { ok: false, failure, status, detail, retryable: failure !== 'malformed' };
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
}

function failed(failure: CapillaryFailure, status: number, detail: string): Failed {
  return { ok: false, failure, status, detail, retryable: false };
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

/**
 * The most events one response may hold. A larger `data` fails the poll as a whole (nothing is
 * published, the cursor is unchanged): no real window is that large, and the cursor item is sized
 * for windows up to about this many ids.
 */
export const MAX_EVENTS_PER_RESPONSE = 20_000;

/**
 * How many characters of a body a message shows (after redaction, see `SecretRedactor`).
 * @internal test/hostile/redaction-at-the-cut.test.ts puts a secret across the cut.
 */
export const BODY_SNIPPET_CHARS = 200;

type Interpretation<T> =
  | { ok: true; value: T }
  | { ok: false; failure: CapillaryFailure; detail: string };

/** Turns body text into what a message may show: redacted, flattened, then cut. */
type ShowText = (text: string) => string;

export interface BodyView {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

const fail = (failure: CapillaryFailure, detail: string) =>
  ({ ok: false, failure, detail }) as const;

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Why a body that should be JSON is not, in words: empty, HTML (a login page, a proxy), or other. */
function describeNotJson(view: BodyView, show: ShowText): string {
  if (view.text.trim() === '') return `the body is empty (HTTP ${view.status})`;
  const contentType = headerText(view.headers['content-type']).slice(0, 80);
  if (/html/i.test(contentType) || /^\s*</.test(view.text)) {
    return `the body is HTML, not JSON (HTTP ${view.status}${contentType ? `, ${contentType}` : ''}; a login page or a proxy?): ${show(view.text)}`;
  }
  return `the body is not JSON (HTTP ${view.status}): ${show(view.text)}`;
}

/** The envelope's non-empty `errors`, as one line; `undefined` when there are none. */
function apiErrors(json: unknown): string | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const { errors } = json as Record<string, unknown>;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors.map(describeApiMessage).join('; ');
}

/** The API's message in an error body: `errors`, else `message`, `status.message` or `error`. */
function apiMessage(json: unknown): string | undefined {
  const errors = apiErrors(json);
  if (errors !== undefined) return errors;
  if (!json || typeof json !== 'object') return undefined;
  const { message, status, error } = json as Record<string, unknown>;
  if (typeof message === 'string' && message) return message;
  if (status && typeof status === 'object') {
    const nested = (status as Record<string, unknown>).message;
    if (typeof nested === 'string' && nested) return describeApiMessage(status);
  }
  if (typeof error === 'string' && error) return error;
  return undefined;
}

/** An error body's message: the API's, else what the body is. */
function describeErrorBody(view: BodyView, show: ShowText): string {
  const json = parseJson(view.text);
  const message = json.ok ? apiMessage(json.value) : undefined;
  return message === undefined ? describeNotJson(view, show) : show(message);
}

/**
 * A 3xx: never followed (the request carries credentials, and the target may be another host or
 * the instance metadata service at 169.254.169.254). Names the target's host only.
 */
function describeRedirect(status: number, headers: IncomingHttpHeaders, from: URL): string {
  const location = headerText(headers.location);
  let target = 'no Location header';
  if (location !== '') {
    try {
      const url = new URL(location, from);
      target =
        url.host === from.host
          ? `${url.protocol}//${url.host} (the same host)`
          : `${url.protocol}//${url.host} (another host)`;
    } catch {
      target = 'an unparseable Location';
    }
  }
  return `redirect refused (HTTP ${status} to ${target}): redirects are never followed, so credentials go to CAPILLARY_BASE_URL only`;
}

/**
 * A 2xx body of `GET /v2/events/event_data/`: the envelope must be a JSON object with a `data`
 * list of at most `MAX_EVENTS_PER_RESPONSE` events; each event is then validated on its own.
 */
function interpretEventsBody(
  view: BodyView,
  show: ShowText,
): Interpretation<Omit<FetchedEvents, 'warnings'> & { warnings: unknown[] }> {
  const json = parseJson(view.text);
  if (!json.ok) return fail('malformed', describeNotJson(view, show));
  const errors = apiErrors(json.value);
  if (errors !== undefined) return fail('api-errors', show(errors));
  if (json.value === null || typeof json.value !== 'object' || Array.isArray(json.value)) {
    return fail(
      'invalid-response',
      `unexpected response shape: the body is ${kindOf(json.value)}, not an object with a data list`,
    );
  }
  const envelope = json.value as Record<string, unknown>;
  const { data } = envelope;
  if (!Array.isArray(data)) {
    const what = data === undefined ? 'missing' : data === null ? 'null' : kindOf(data);
    return fail(
      'invalid-response',
      `unexpected response shape: data is ${what}, not a list of events (an empty window is [])`,
    );
  }
  if (data.length > MAX_EVENTS_PER_RESPONSE) {
    return fail(
      'invalid-response',
      `the response holds ${data.length} events, more than the ${MAX_EVENTS_PER_RESPONSE} one poll accepts: nothing is published`,
    );
  }
  const warnings = Array.isArray(envelope.warnings) ? envelope.warnings : [];
  const { events, rejected } = parseEventWindow(data);
  return { ok: true, value: { events, rejected, warnings } };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * The most entries one log response may hold. The reader asks for at most `limit`; a server
 * that ignores it is read whole up to here (a longer `data` fails the request).
 */
const MAX_LOG_RECORDS_PER_RESPONSE = 10_000;

/** A 2xx body of the log: the envelope, then each record on its own (a bad one is counted, skipped). */
function interpretEventLogBody(
  view: BodyView,
  show: ShowText,
): Interpretation<Extract<EventLogPage, { kind: 'records' }>> {
  const json = parseJson(view.text);
  if (!json.ok) return { ok: false, failure: 'malformed', detail: describeNotJson(view, show) };
  const errors = apiErrors(json.value);
  if (errors !== undefined) return { ok: false, failure: 'api-errors', detail: show(errors) };
  const data =
    json.value !== null && typeof json.value === 'object' && !Array.isArray(json.value)
      ? (json.value as Record<string, unknown>).data
      : undefined;
  if (!Array.isArray(data)) {
    return {
      ok: false,
      failure: 'invalid-response',
      detail: 'unexpected event log shape: not an object with a data list',
    };
  }
  if (data.length > MAX_LOG_RECORDS_PER_RESPONSE) {
    return {
      ok: false,
      failure: 'invalid-response',
      detail: `the event log response holds ${data.length} records, more than the ${MAX_LOG_RECORDS_PER_RESPONSE} accepted: lower CHANGE_FEED_LIMIT`,
    };
  }
  const { records, rejected } = parseEventLogPage(data);
  return { ok: true, value: { kind: 'records', records, received: data.length, rejected } };
}

/**
 * Milliseconds to wait according to a `Retry-After` header: delta-seconds (`"120"`) or an HTTP-date
 * (`"Wed, 21 Oct 2015 07:28:00 GMT"`). `undefined` when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfterMs(
  value: string | readonly string[] | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (/^\d/.test(text) || text.startsWith('-')) return undefined;
  const at = Date.parse(text);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, at - nowMs);
}

// The customer lookup: personal data both ways, so no message quotes its body.

/**
 * Capillary's error codes that mean "no such customer" (its customer status codes: 816 customer
 * not found for the org, 1011/1012 no customer for the identifier, 8015 not found for the given
 * identifiers). Whatever the HTTP status, they are an answer, not a failure.
 */
const NOT_FOUND_CODES: ReadonlySet<number> = new Set([816, 1011, 1012, 8015]);

/** The numeric codes of a body's `errors` (at most 10), for messages that show no body text. */
function lookupErrorCodes(json: unknown): number[] {
  if (!json || typeof json !== 'object') return [];
  const { errors } = json as Record<string, unknown>;
  if (!Array.isArray(errors)) return [];
  const codes: number[] = [];
  for (const entry of errors.slice(0, 10)) {
    const code =
      entry && typeof entry === 'object' ? (entry as { code?: unknown }).code : undefined;
    const number = typeof code === 'string' && /^\d{1,9}$/.test(code) ? Number(code) : code;
    if (typeof number === 'number' && Number.isSafeInteger(number)) codes.push(number);
  }
  return codes;
}

/** Whether an answer says there is no such customer: HTTP 404, or a not-found code. */
function isNoCustomer(status: number, codes: readonly number[]): boolean {
  return status === 404 || codes.some((code) => NOT_FOUND_CODES.has(code));
}

/** `HTTP 500, Capillary error codes 500, 1004`: what a failed lookup may say about its answer. */
function describeLookupAnswer(status: number, codes: readonly number[]): string {
  const shown = codes.length === 0 ? '' : `, Capillary error codes ${codes.join(', ')}`;
  return `HTTP ${status}${shown} (the body is not shown: it may hold personal data)`;
}

const CustomerIdFieldSchema = z.object({
  id: z.union([
    z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^\d{1,19}$/),
  ]),
});

/** A 2xx body of the lookup: the customer's `id`, or why it cannot be read (no body text). */
function interpretCustomerLookupBody(
  status: number,
  json: { ok: true; value: unknown } | { ok: false },
): Interpretation<CustomerLookupAnswer> {
  if (!json.ok) {
    return { ok: false, failure: 'malformed', detail: `the answer is not JSON (HTTP ${status})` };
  }
  const codes = lookupErrorCodes(json.value);
  const errors = (json.value as { errors?: unknown } | null)?.errors;
  if (codes.length > 0 || (Array.isArray(errors) && errors.length > 0)) {
    return { ok: false, failure: 'api-errors', detail: describeLookupAnswer(status, codes) };
  }
  const parsed = CustomerIdFieldSchema.safeParse(json.value);
  const customerId = parsed.success ? String(parsed.data.id) : undefined;
  if (customerId === undefined || !CustomerIdSchema.safeParse(customerId).success) {
    return {
      ok: false,
      failure: 'invalid-response',
      detail: `the answer has no customer id at \`id\` (HTTP ${status}): is this the lookup endpoint?`,
    };
  }
  return { ok: true, value: { kind: 'found', customerId } };
}
