import { parseEventLogPage } from '../../domain/event-log-record.js';
import type { EventLogPage, EventLogQuery } from '../../domain/ports.js';
import {
  apiErrors,
  type BodyView,
  describeNotJson,
  type Interpretation,
  parseJson,
  type ShowText,
} from './response-interpreter.js';

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
  const prefix = `${baseUrl.origin}${baseUrl.pathname.replace(/\/+$/, '')}`;
  return new URL(`${prefix}${path}${separator}${params.toString().replaceAll('+', '%20')}`);
}

/**
 * The most entries one log response may hold. The reader asks for at most `limit`; a server
 * that ignores it is read whole up to here (a longer `data` fails the request).
 */
const MAX_LOG_RECORDS_PER_RESPONSE = 10_000;

/** A 2xx body of the log: the envelope, then each record on its own (a bad one is counted, skipped). */
export function interpretEventLogBody(
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
