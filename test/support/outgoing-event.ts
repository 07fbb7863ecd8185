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

/** When the adapter tests' numbered events start: event n is n seconds after it. */
export const FIRST_EVENT_AT = Date.UTC(2025, 4, 8, 8, 56, 57);

/**
 * Event `n` as the EventBridge publisher tests send it: n seconds after `FIRST_EVENT_AT`, from
 * till-1, observed a minute after the first.
 */
export function tillEvent(
  n: number,
  fields: Pick<OutgoingEventFields, 'key' | 'customerId' | 'uniqueId' | 'eventId' | 'attributes'>,
): OutgoingEvent {
  return outgoingEvent({
    ...fields,
    time: new Date(FIRST_EVENT_AT + n * 1000),
    tillCode: 'till-1',
    displayName: 'Testing Event',
    observedAt: new Date(FIRST_EVENT_AT + 60_000),
  });
}
