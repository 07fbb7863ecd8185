import { createHash } from 'node:crypto';
import type { CapillaryEvent } from './capillary-event.js';

/** JSON with object keys sorted at every depth, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      return Object.fromEntries(
        Object.entries(inner as Record<string, unknown>).sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0,
        ),
      );
    }
    return inner;
  });
}

/** An event's identity: `uniqueId`, else `eventId`, else a hash of its content. */
export function eventKey(event: CapillaryEvent): string {
  if (event.uniqueId) return event.uniqueId;
  if (event.eventId) return event.eventId;
  return `sha256:${createHash('sha256').update(canonicalJson(event)).digest('hex')}`;
}
