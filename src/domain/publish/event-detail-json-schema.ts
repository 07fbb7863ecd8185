import * as z from 'zod';
import { EventDetailSchema } from './event-detail.js';

/**
 * The detail contract as JSON Schema draft-04: the newest draft the EventBridge Schema Registry
 * accepts (`JSONSchemaDraft4`), so the same document serves the repo, the README and the registry.
 */
export function eventDetailJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(EventDetailSchema, { target: 'draft-4', io: 'output' }),
    title: 'CapillaryEventDetail',
  };
}
