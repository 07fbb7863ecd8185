// What is asked of Capillary: the base URL (HTTPS, or HTTP to this machine only), and the URLs of
// the events call, the token call, the event log (with its date formats) and the customer lookup.
import type { Scope } from '../../domain/customer-state.js';
import { ConfigError } from '../../domain/errors.js';
import type { EventLogQuery } from '../../domain/ports.js';
import { InsecureCapillaryUrlError } from './capillary-errors.js';

const CUSTOMER_ID_PLACEHOLDER = '{customerId}';
/** The API's default request; `{customerId}` is URL-encoded, `scope=child` is appended when watched so. */
export const DEFAULT_EVENTS_PATH = '/v2/events/event_data/?userId={customerId}';
const TOKEN_PATH = '/v3/oauth/token/generate';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** This machine: the only place plain HTTP may go (sandbox, tests, emulators). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** HTTPS, or plain HTTP to this machine only (sandbox, tests); never credentials in the URL. */
export function checkBaseUrl(baseUrl: URL): URL {
  if (baseUrl.protocol === 'http:') {
    if (!isLoopbackHost(baseUrl.hostname)) {
      throw new InsecureCapillaryUrlError(
        `plain http:// is refused for ${baseUrl.hostname}: use https:// (http is allowed for loopback hosts only)`,
      );
    }
  } else if (baseUrl.protocol !== 'https:') {
    throw new InsecureCapillaryUrlError(`unsupported protocol ${baseUrl.protocol} (use https://)`);
  }
  if (baseUrl.username !== '' || baseUrl.password !== '') {
    throw new InsecureCapillaryUrlError(
      'must not contain a user name or password: pass credentials separately',
    );
  }
  return baseUrl;
}

export function checkEventsPath(template: string): string {
  if (!template.startsWith('/')) {
    throw new ConfigError('CAPILLARY_EVENTS_PATH', 'must start with /');
  }
  if (!template.includes(CUSTOMER_ID_PLACEHOLDER)) {
    throw new ConfigError('CAPILLARY_EVENTS_PATH', `must contain ${CUSTOMER_ID_PLACEHOLDER}`);
  }
  return template;
}

/** The base URL's origin and path prefix, without a trailing slash (query and fragment dropped). */
function prefix(baseUrl: URL): string {
  return `${baseUrl.origin}${baseUrl.pathname.replace(/\/+$/, '')}`;
}

/**
 * `GET` URL of one customer's events: `{customerId}` in the template (path or query) is replaced by
 * the URL-encoded id; `scope=child` is appended for child-org customers. The query is assembled as
 * text so the encoding chosen here is exactly what is sent.
 */
export function eventsUrl(baseUrl: URL, template: string, customerId: string, scope: Scope): URL {
  let pathAndQuery = template.replaceAll(CUSTOMER_ID_PLACEHOLDER, encodeURIComponent(customerId));
  if (scope === 'child') {
    const separator = !pathAndQuery.includes('?')
      ? '?'
      : pathAndQuery.endsWith('?') || pathAndQuery.endsWith('&')
        ? ''
        : '&';
    pathAndQuery += `${separator}scope=child`;
  }
  return new URL(`${prefix(baseUrl)}${pathAndQuery}`);
}

export function tokenUrl(baseUrl: URL): URL {
  return new URL(`${prefix(baseUrl)}${TOKEN_PATH}`);
}

/*
 * `GET /v2/events/logs`: what the reference leaves open (the path on a cluster, the format of
 * `from_date`/`to_date`, the largest `limit`) is a setting, with these defaults.
 */

/** The documented path of the org-wide event log. */
export const DEFAULT_EVENT_LOG_PATH = '/v2/events/logs';

/**
 * How `from_date` and `to_date` are written; the reference gives no format. Records carry epoch
 * milliseconds (`startTime`), so that is the default; the others are UTC.
 */
export const EVENT_LOG_DATE_FORMATS = ['epoch-ms', 'epoch-seconds', 'iso', 'datetime'] as const;
export type EventLogDateFormat = (typeof EVENT_LOG_DATE_FORMATS)[number];

/** The smallest step a format can say: a slice narrower than this cannot be asked for. */
export function dateFormatGranularityMs(format: EventLogDateFormat): number {
  return format === 'epoch-ms' || format === 'iso' ? 1 : 1_000;
}

/** `fromMs` rounded down and `toMs` up to what the format can say, so a slice only ever widens. */
function formatDate(ms: number, format: EventLogDateFormat, end: 'from' | 'to'): string {
  const step = dateFormatGranularityMs(format);
  const rounded = end === 'from' ? Math.floor(ms / step) * step : Math.ceil(ms / step) * step;
  switch (format) {
    case 'epoch-ms':
      return String(rounded);
    case 'epoch-seconds':
      return String(rounded / 1_000);
    case 'iso':
      return new Date(rounded).toISOString();
    case 'datetime':
      // `2025-09-18 05:03:50`, UTC.
      return new Date(rounded).toISOString().slice(0, 19).replace('T', ' ');
  }
}

/** The request URL of one slice; every value URL-encoded. */
export function eventLogUrl(
  baseUrl: URL,
  path: string,
  query: EventLogQuery,
  format: EventLogDateFormat,
): URL {
  const params = new URLSearchParams();
  if (query.eventName !== undefined) params.set('event_name', query.eventName);
  params.set('from_date', formatDate(query.fromMs, format, 'from'));
  params.set('to_date', formatDate(query.toMs, format, 'to'));
  params.set('limit', String(query.limit));
  const separator = path.includes('?')
    ? path.endsWith('?') || path.endsWith('&')
      ? ''
      : '&'
    : '?';
  return new URL(
    `${prefix(baseUrl)}${path}${separator}${params.toString().replaceAll('+', '%20')}`,
  );
}

/*
 * Capillary's customer lookup (the change feed's `CHANGE_FEED_LOOKUP`), `GET /v2/customers/lookup/customerDetails?source=&identifierName=
 * &identifierValue=`. Its request carries an identifier value and its answer a customer's profile:
 * personal data both ways, so no message of this module quotes a body, only statuses and codes.
 *
 * The reference documents the parameters, not the answer's shape. Assumed, as Capillary's v2
 * customer object has it: the customer's id is the top-level `id` (a number, or digits). An answer
 * without one is a failed lookup, never a guess.
 */

/** The documented path. */
export const DEFAULT_CUSTOMER_LOOKUP_PATH = '/v2/customers/lookup/customerDetails';

/** `identifierName` values the reference lists, and `auto`: chosen by the value's form. */
export const LOOKUP_IDENTIFIER_NAMES = [
  'auto',
  'mobile',
  'email',
  'externalId',
  'cardnumber',
  'wechat',
] as const;
export type LookupIdentifierName = (typeof LOOKUP_IDENTIFIER_NAMES)[number];

/** `auto`: an email has `@`, a mobile number is 7 to 15 digits (`+` allowed), anything else an external id. */
export function identifierNameFor(value: string, name: LookupIdentifierName): string {
  if (name !== 'auto') return name;
  if (value.includes('@')) return 'email';
  return /^\+?\d{7,15}$/.test(value) ? 'mobile' : 'externalId';
}

/** The request URL of one lookup; every value URL-encoded. */
export function customerLookupUrl(
  baseUrl: URL,
  path: string,
  query: { source: string; identifierName: string; identifierValue: string },
): URL {
  const params = new URLSearchParams(query);
  return new URL(`${prefix(baseUrl)}${path}?${params.toString().replaceAll('+', '%20')}`);
}
