import type { Scope } from '../../domain/customer-state.js';
import { ConfigError } from '../../domain/errors.js';
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
