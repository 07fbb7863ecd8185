// Shared fixtures for the end-to-end tests: raw Capillary events as the API serves them, and a
// logger that keeps every line it is given.
import type { Logger } from '../../src/domain/ports.js';

/** 2025-05-08T08:00:00Z: every generated event is dated from here on. */
const EVENT_EPOCH = Date.UTC(2025, 4, 8, 8, 0, 0);

export interface RawEventOptions {
  eventName?: string;
  attributes?: Record<string, unknown>;
  psiAttributes?: string[];
}

/** One event of `customerId` as `GET /v2/events/event_data/` returns it; `n` orders them by date. */
export function rawEvent(
  customerId: string,
  n: number,
  options: RawEventOptions = {},
): Record<string, unknown> {
  const uniqueId = uniqueIdOf(customerId, n);
  return {
    orgId: 100737,
    userId: Number(customerId),
    date: new Date(EVENT_EPOCH + n * 1000).toISOString().replace('.000Z', 'Z'),
    eventName: options.eventName ?? `Event_${n % 3}`,
    eventId: `request-${customerId}-${n}`,
    source: 'INSTORE',
    tillCode: 'till_one',
    displayName: 'Test event',
    additonalAttributes: { n, ...options.attributes },
    psiAttributes: options.psiAttributes ?? [],
    uniqueId,
  };
}

export function uniqueIdOf(customerId: string, n: number): string {
  return `u-${customerId}-${String(n).padStart(4, '0')}`;
}

/** Events `from..to` (inclusive) of a customer, newest first as the API sends them. */
export function rawEvents(
  customerId: string,
  from: number,
  to: number,
  options: RawEventOptions = {},
): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let n = to; n >= from; n--) events.push(rawEvent(customerId, n, options));
  return events;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown> | undefined;
}

/** A Logger port that records every line; `text()` is all of them as JSON, for secret scans. */
export function capturingLogger(): { logger: Logger; lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, attributes?: Record<string, unknown>): void => {
      lines.push({ level, message, attributes });
    };
  return {
    lines,
    text: () => lines.map((line) => JSON.stringify(line)).join('\n'),
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

/** Counts of each value, for comparing what was served with what was published. */
export function multiset(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return new Map([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
