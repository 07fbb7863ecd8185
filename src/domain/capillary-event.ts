import { z } from 'zod';

/** The API sends some numbers as strings ("1746694617000"): accept both, keep a number. */
const numberish = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/, 'expected a number or a numeric string')
    .transform(Number),
]);

/** Event dates are ISO-8601 in the sample; epoch milliseconds (as number or string) are tolerated. */
const eventDate = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = typeof value === 'number' || /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: `not a date: ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

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

const apiMessage = z.unknown();

/** The response envelope. A non-empty `errors` is a failure whatever the HTTP status. */
export const EventDataResponseSchema = z.looseObject({
  data: z
    .array(CapillaryEventSchema)
    .nullish()
    .transform((value) => value ?? []),
  warnings: z
    .array(apiMessage)
    .nullish()
    .transform((value) => value ?? []),
  errors: z
    .array(apiMessage)
    .nullish()
    .transform((value) => value ?? []),
});
export type EventDataResponse = z.infer<typeof EventDataResponseSchema>;

/** Turns an API error or warning entry (string, `{ code, message }`, anything) into one readable line. */
export function describeApiMessage(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object') {
    const { code, message, status } = entry as Record<string, unknown>;
    const text = typeof message === 'string' ? message : JSON.stringify(entry);
    const tag = code ?? status;
    return tag === undefined ? text : `${String(tag)}: ${text}`;
  }
  return JSON.stringify(entry);
}
