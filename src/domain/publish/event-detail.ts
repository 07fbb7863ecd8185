import * as z from 'zod';
import type { CapillaryEvent } from '../capillary-event.js';

export const PsiModeSchema = z.enum(['mask', 'drop', 'pass']);
/** What happens to attributes the API flags in `psiAttributes`. */
export type PsiMode = z.infer<typeof PsiModeSchema>;

/**
 * What a masked attribute's value becomes.
 */
const MASKED_VALUE = '[masked]';

/**
 * The `detail` of every entry the poller puts on the bus: the contract consumers write rules on.
 * `docs/event-detail.schema.json` is generated from this schema (`npm run schema`).
 */
export const EventDetailSchema = z
  .object({
    customerId: z.string().describe('The Capillary customer (userId) the event belongs to.'),
    orgId: z.number().nullable().describe('The Capillary organization id.'),
    eventName: z.string().describe('The Capillary event name; also the entry detail-type.'),
    uniqueId: z.string().nullable().describe('Set when the org enables the "Is Unique" check.'),
    eventId: z.string().nullable().describe('The requestId of the call that created the event.'),
    date: z.iso.datetime().describe('When the event happened (ISO-8601, UTC).'),
    source: z.string().nullable().describe('Where the event came from, e.g. INSTORE.'),
    tillCode: z.string().nullable(),
    displayName: z.string().nullable(),
    attributes: z
      .record(z.string(), z.unknown())
      .describe("The event's additonalAttributes, with PSI attributes masked or dropped."),
    poller: z
      .object({
        eventKey: z.string().describe('The identity the poller de-duplicates on.'),
        scope: z.enum(['default', 'child']),
        observedAt: z.iso.datetime().describe('When the poller first saw the event.'),
        version: z.string().describe('The poller version that emitted the entry.'),
        psi: z.object({
          mode: PsiModeSchema,
          attributes: z.array(z.string()).describe('Attributes the API flagged as PSI.'),
        }),
      })
      .describe('Facts about the emission, not about the event.'),
  })
  .describe('capillary-event-poller: one Capillary customer event');
export type EventDetail = z.infer<typeof EventDetailSchema>;

/**
 * Masks, drops or keeps the attributes named in `psi` (names compared case-insensitively).
 */
function protectPsi(
  attributes: Record<string, unknown>,
  psi: readonly string[],
  mode: PsiMode,
): Record<string, unknown> {
  if (mode === 'pass' || psi.length === 0) return { ...attributes };
  const flagged = new Set(psi.map((name) => name.toLowerCase()));
  const protectedAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (!flagged.has(name.toLowerCase())) protectedAttributes[name] = value;
    else if (mode === 'mask') protectedAttributes[name] = MASKED_VALUE;
  }
  return protectedAttributes;
}

export interface DetailContext {
  customerId: string;
  scope: 'default' | 'child';
  eventKey: string;
  observedAt: Date;
  version: string;
  psiMode: PsiMode;
}

/** Normalizes an API event into the published detail. */
export function toEventDetail(event: CapillaryEvent, context: DetailContext): EventDetail {
  return {
    customerId: context.customerId,
    orgId: event.orgId,
    eventName: event.eventName,
    uniqueId: event.uniqueId,
    eventId: event.eventId,
    date: event.date,
    source: event.source,
    tillCode: event.tillCode,
    displayName: event.displayName,
    attributes: protectPsi(event.additonalAttributes, event.psiAttributes, context.psiMode),
    poller: {
      eventKey: context.eventKey,
      scope: context.scope,
      observedAt: context.observedAt.toISOString(),
      version: context.version,
      psi: { mode: context.psiMode, attributes: [...event.psiAttributes] },
    },
  };
}
