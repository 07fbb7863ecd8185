import * as z from 'zod';

/**
 * A record of Capillary's org-wide event log (`GET /v2/events/logs`), read as hostile input: only
 * what the feed needs is checked, unknown fields are kept, and a record that does not fit is
 * counted and skipped on its own, never failing the others.
 */

/**
 * The status of a record whose event was stored; any other status names why it was not.
 */
export const EVENT_SUCCESS = 'EVENT_SUCCESS';

/** The longest record id accepted (the documented ones are UUIDs, 36 characters). */
const MAX_RECORD_ID_CHARS = 200;
/**
 * The longest `inputRequest` parsed; a longer one is skipped unread (a POSTed body is small).
 */
const MAX_INPUT_REQUEST_CHARS = 65_536;
/**
 * The deepest nesting of `inputRequest` parsed; a deeper one is skipped, not parsed.
 */
const MAX_INPUT_REQUEST_DEPTH = 16;
/** The longest identifier value kept (a mobile number, email or external id is far shorter). */
const MAX_IDENTIFIER_CHARS = 256;

const epochMs = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d{1,16}$/, 'expected epoch milliseconds')
    .transform(Number),
]);

/** One log record; `inputRequest` is a JSON string in the documented records, kept raw here. */
const EventLogRecordSchema = z.looseObject({
  id: z.string().min(1, 'id is empty').max(MAX_RECORD_ID_CHARS, 'id is too long'),
  startTime: epochMs,
  status: z.string().max(200),
  eventName: z.string().max(1_000).nullish(),
  inputRequest: z.unknown().optional(),
});
export type EventLogRecord = z.infer<typeof EventLogRecordSchema>;

/** Validates each record of `data` on its own: the good ones, and how many were not. */
export function parseEventLogPage(data: readonly unknown[]): {
  records: EventLogRecord[];
  rejected: number;
} {
  const records: EventLogRecord[] = [];
  let rejected = 0;
  for (const entry of data) {
    const parsed = EventLogRecordSchema.safeParse(entry);
    if (parsed.success) records.push(parsed.data);
    else rejected += 1;
  }
  return { records, rejected };
}

type InputProblem = 'missing' | 'too-large' | 'too-deep' | 'not-json' | 'not-an-object';
type InputRequest =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; problem: InputProblem };

/**
 * The POSTed body of a record: `inputRequest` is a JSON string (an object is tolerated). Bounded
 * in size and depth before it is parsed, so no body can cost more than a scan of 64 KiB; never throws.
 */
function readInputRequest(value: unknown): InputRequest {
  if (value === undefined || value === null || value === '')
    return { ok: false, problem: 'missing' };
  if (typeof value === 'object') {
    return Array.isArray(value)
      ? { ok: false, problem: 'not-an-object' }
      : { ok: true, body: value as Record<string, unknown> };
  }
  if (typeof value !== 'string') return { ok: false, problem: 'not-an-object' };
  if (value.length > MAX_INPUT_REQUEST_CHARS) return { ok: false, problem: 'too-large' };
  if (nestingDepth(value) > MAX_INPUT_REQUEST_DEPTH) return { ok: false, problem: 'too-deep' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { ok: false, problem: 'not-json' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, problem: 'not-an-object' };
  }
  return { ok: true, body: parsed as Record<string, unknown> };
}

/** The deepest bracket nesting of JSON text, brackets inside strings ignored (one pass, no recursion). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (char === '}' || char === ']') depth -= 1;
  }
  return deepest;
}

/**
 * The identifier values a body names, in the order of `fields` (top-level names, e.g.
 * `customer`), trimmed, deduplicated; numbers are taken as their digits. Personal data: never log them.
 */
function identifiersOf(body: Record<string, unknown>, fields: readonly string[]): string[] {
  const values = new Set<string>();
  for (const field of fields) {
    if (!Object.hasOwn(body, field)) continue;
    const raw = body[field];
    const text =
      typeof raw === 'string'
        ? raw.trim()
        : typeof raw === 'number' && Number.isSafeInteger(raw)
          ? String(raw)
          : '';
    if (text !== '' && text.length <= MAX_IDENTIFIER_CHARS) values.add(text);
  }
  return [...values];
}

/** What a record tells the feed, once read. */
export type RecordReading =
  | { kind: 'identified'; identifiers: string[] }
  /** Not `EVENT_SUCCESS`: the event was not stored, there is nothing to poll for. */
  | { kind: 'not-stored' }
  /** `inputRequest` unreadable, or it names no configured identifier field. */
  | { kind: 'unidentified'; problem: InputProblem | 'no-identifier' };

export function readRecord(record: EventLogRecord, fields: readonly string[]): RecordReading {
  if (record.status !== EVENT_SUCCESS) return { kind: 'not-stored' };
  const input = readInputRequest(record.inputRequest);
  if (!input.ok) return { kind: 'unidentified', problem: input.problem };
  const identifiers = identifiersOf(input.body, fields);
  if (identifiers.length === 0) return { kind: 'unidentified', problem: 'no-identifier' };
  return { kind: 'identified', identifiers };
}
