// An event as the publishers and the dead-letter sink receive it, for the adapter tests: a test
// names what it varies; the rest is a Capillary TestingEvent_FE of org 100737.
import type { OutgoingEvent } from '../../src/domain/ports.js';

export interface OutgoingEventFields {
  key: string;
  customerId: string;
  time: Date;
  attributes: Record<string, unknown>;
  uniqueId: string | null;
  eventId: string | null;
  /** Default TestingEvent_FE; the detail type too. */
  eventName?: string;
  tillCode?: string | null;
  displayName?: string | null;
  /** Default `time`. */
  observedAt?: Date;
}

export function outgoingEvent(fields: OutgoingEventFields): OutgoingEvent {
  const { key, customerId, time } = fields;
  const eventName = fields.eventName ?? 'TestingEvent_FE';
  return {
    key,
    customerId,
    detailType: eventName,
    time,
    detail: {
      customerId,
      orgId: 100737,
      eventName,
      uniqueId: fields.uniqueId,
      eventId: fields.eventId,
      date: time.toISOString(),
      source: 'INSTORE',
      tillCode: fields.tillCode ?? null,
      displayName: fields.displayName ?? null,
      attributes: fields.attributes,
      poller: {
        eventKey: key,
        scope: 'default',
        observedAt: (fields.observedAt ?? time).toISOString(),
        version: '0.1.0',
        psi: { mode: 'mask', attributes: [] },
      },
    },
  };
}
