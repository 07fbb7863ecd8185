import type { IncomingHttpHeaders } from 'node:http';
import { describeApiMessage, parseEventWindow } from '../../domain/capillary-event.js';
import type { FetchedEvents } from '../../domain/ports.js';
import type { CapillaryFailure } from './capillary-errors.js';
import { headerText } from './response-body.js';

/**
 * The most events one response may hold. A larger `data` fails the poll as a whole (nothing is
 * published, the cursor is unchanged): no real window is that large, and the cursor item is sized
 * for windows up to about this many ids.
 * @internal test/docs/stated-numbers.test.ts checks the docs' number against it.
 */
export const MAX_EVENTS_PER_RESPONSE = 20_000;

/** How many characters of a body a message shows (after redaction, see `SecretRedactor`). */
export const BODY_SNIPPET_CHARS = 200;

export type Interpretation<T> =
  | { ok: true; value: T }
  | { ok: false; failure: CapillaryFailure; detail: string };

/** Turns body text into what a message may show: redacted, flattened, then cut. */
export type ShowText = (text: string) => string;

export interface BodyView {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

const fail = (failure: CapillaryFailure, detail: string) =>
  ({ ok: false, failure, detail }) as const;

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Why a body that should be JSON is not, in words: empty, HTML (a login page, a proxy), or other. */
export function describeNotJson(view: BodyView, show: ShowText): string {
  if (view.text.trim() === '') return `the body is empty (HTTP ${view.status})`;
  const contentType = headerText(view.headers['content-type']).slice(0, 80);
  if (/html/i.test(contentType) || /^\s*</.test(view.text)) {
    return `the body is HTML, not JSON (HTTP ${view.status}${contentType ? `, ${contentType}` : ''}; a login page or a proxy?): ${show(view.text)}`;
  }
  return `the body is not JSON (HTTP ${view.status}): ${show(view.text)}`;
}

/** The envelope's non-empty `errors`, as one line; `undefined` when there are none. */
export function apiErrors(json: unknown): string | undefined {
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
export function describeErrorBody(view: BodyView, show: ShowText): string {
  const json = parseJson(view.text);
  const message = json.ok ? apiMessage(json.value) : undefined;
  return message === undefined ? describeNotJson(view, show) : show(message);
}

/**
 * A 3xx: never followed (the request carries credentials, and the target may be another host or
 * the instance metadata service at 169.254.169.254). Names the target's host only.
 */
export function describeRedirect(status: number, headers: IncomingHttpHeaders, from: URL): string {
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
export function interpretEventsBody(
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
