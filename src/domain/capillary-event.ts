import * as z from 'zod';
import { canonicalJson, contentFingerprint, EventShapeError } from './detect/event-key.js';

/** The API sends some numbers as strings ("1746694617000"): accept both, keep a number. */
const numberish = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/, 'expected a number or a numeric string')
    .transform(Number),
]);

/** The largest time a JS Date holds (year 275760): beyond it there is no ISO form to publish. */
const MAX_DATE_MS = 8.64e15;

/** Event dates are ISO-8601 in the sample; epoch milliseconds (as number or string) are tolerated. */
const eventDate = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    ctx.addIssue({ code: 'custom', message: `not a date: ${shortJson(value)}` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/**
 * `psiAttributes` is documented as an "object indicating" PSI fields and sent as `[]` in the sample:
 * accept a list of names or a `{ name: boolean }` map, and keep the list of names.
 */
const psiAttributes = z
  .union([z.array(z.string()), z.record(z.string(), z.unknown())])
  .nullish()
  .transform((value) => {
    if (!value) return [];
    if (Array.isArray(value)) return value;
    return Object.entries(value)
      .filter(([, flagged]) => flagged !== false && flagged !== null)
      .map(([name]) => name);
  });

const optionalText = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === undefined || value === null ? null : String(value)));

/** One event as `GET /v2/events/event_data/` returns it; unknown fields are kept, not rejected. */
export const CapillaryEventSchema = z.looseObject({
  orgId: numberish.nullish().transform((value) => value ?? null),
  userId: optionalText,
  date: eventDate,
  eventName: z.string().min(1, 'eventName is empty'),
  eventId: optionalText,
  uniqueId: optionalText,
  source: optionalText,
  tillCode: optionalText,
  displayName: optionalText,
  // Sic: the API spells it this way.
  additonalAttributes: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((value) => value ?? {}),
  psiAttributes,
});
export type CapillaryEvent = z.infer<typeof CapillaryEventSchema>;

/** The longest API error or warning line kept (the API's own messages are short). */
const MAX_API_MESSAGE_CHARS = 1_000;

/** Turns an API error or warning entry (string, `{ code, message }`, anything) into one readable line. */
export function describeApiMessage(entry: unknown): string {
  if (typeof entry === 'string') return entry.slice(0, MAX_API_MESSAGE_CHARS);
  if (entry && typeof entry === 'object') {
    const { code, message, status } = entry as Record<string, unknown>;
    const text = typeof message === 'string' ? message : boundedJson(entry);
    const tag = code ?? status;
    const line = tag === undefined || typeof tag === 'object' ? text : `${String(tag)}: ${text}`;
    return line.slice(0, MAX_API_MESSAGE_CHARS);
  }
  return boundedJson(entry);
}

/** JSON of anything a body can hold, however deep (iterative), cut to the message length. */
function boundedJson(value: unknown): string {
  try {
    return canonicalJson(value, { maxDepth: 32, maxBytes: MAX_API_MESSAGE_CHARS * 4 }).slice(
      0,
      MAX_API_MESSAGE_CHARS,
    );
  } catch {
    return '(a message too deep or too long to show)';
  }
}

/**
 * An event of the response that cannot be published as it is (no valid date or name, too deep,
 * too large): it is set aside on its own, named by its key and its position in `data`.
 */
export interface RejectedEvent {
  /** `uniqueId`, else `eventId`, else `unreadable:sha256:` of its content. */
  key: string;
  /** Index in the response's `data` (0 is the newest). */
  position: number;
  eventName: string | null;
  /** The event's date (epoch ms) when it has a usable one. */
  at: number | null;
  reason: string;
}

/** The longest id accepted from a rejected event as its key (a longer one is hashed). */
const MAX_REJECTED_ID_CHARS = 1_024;

/**
 * Validates each event of `data` on its own: the schema, then a depth- and size-bounded canonical
 * form (so nothing downstream can choke on it). One bad event never fails the others.
 */
export function parseEventWindow(data: readonly unknown[]): {
  events: CapillaryEvent[];
  rejected: RejectedEvent[];
} {
  const events: CapillaryEvent[] = [];
  const rejected: RejectedEvent[] = [];
  data.forEach((raw, position) => {
    const parsed = CapillaryEventSchema.safeParse(raw);
    if (!parsed.success) {
      rejected.push(describeRejected(raw, position, describeEventIssues(parsed.error.issues)));
      return;
    }
    try {
      canonicalJson(parsed.data);
    } catch (error) {
      if (!(error instanceof EventShapeError)) throw error;
      rejected.push(describeRejected(raw, position, error.message));
      return;
    }
    events.push(parsed.data);
  });
  return { events, rejected };
}

function describeEventIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(event)'}: ${issue.message}`)
    .join('; ');
}

/** What can be read safely from a rejected event: its ids, name and date, each bounded. */
export function describeRejected(raw: unknown, position: number, reason: string): RejectedEvent {
  const fields = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const id = [fields.uniqueId, fields.eventId]
    .map((value) => (typeof value === 'number' ? String(value) : value))
    .find(
      (value): value is string =>
        typeof value === 'string' && value.length > 0 && value.length <= MAX_REJECTED_ID_CHARS,
    );
  const name = typeof fields.eventName === 'string' ? fields.eventName.slice(0, 256) : null;
  const date = eventDate.safeParse(fields.date);
  return {
    key: id ?? `unreadable:sha256:${contentFingerprint(raw)}`,
    position,
    eventName: name || null,
    at: date.success ? Date.parse(date.data) : null,
    reason,
  };
}
