import { describe, expect, it } from 'vitest';
import { CapillaryEventSchema } from '../capillary-event.js';
import { EventDetailSchema, toEventDetail } from './event-detail.js';

/** What a masked field reads as, for subscribers. */
const MASKED_VALUE = '[masked]';

const attributes = { Mobile: '9876543210', email: 'a@b.c', city: 'Pune' };

/** The attributes published for an event with `attributes`, `psi` flagged, in `mode`. */
function published(psi: string[], mode: 'mask' | 'drop' | 'pass') {
  const event = CapillaryEventSchema.parse({
    date: '2025-05-08T08:56:57Z',
    eventName: 'X',
    additonalAttributes: attributes,
    psiAttributes: psi,
  });
  const context = {
    customerId: '1',
    scope: 'default',
    eventKey: 'k',
    observedAt: new Date(0),
    version: '0.1.0',
    psiMode: mode,
  } as const;
  return toEventDetail(event, context).attributes;
}

describe('toEventDetail: PSI attributes', () => {
  it('masks flagged attributes, matching names case-insensitively', () => {
    expect(published(['mobile', 'EMAIL'], 'mask')).toEqual({
      Mobile: MASKED_VALUE,
      email: MASKED_VALUE,
      city: 'Pune',
    });
  });
  it('drops them', () => {
    expect(published(['mobile'], 'drop')).toEqual({ email: 'a@b.c', city: 'Pune' });
  });
  it('passes them through only when told to', () => {
    expect(published(['mobile'], 'pass')).toEqual(attributes);
  });
});

describe('toEventDetail', () => {
  it('produces a detail that satisfies the published contract', () => {
    const event = CapillaryEventSchema.parse({
      orgId: 100737,
      date: '2025-05-08T08:56:57Z',
      eventName: 'TestingEvent_FE',
      eventId: 'e',
      additonalAttributes: attributes,
      psiAttributes: ['mobile'],
    });
    const detail = toEventDetail(event, {
      customerId: '564590100',
      scope: 'child',
      eventKey: 'e',
      observedAt: new Date('2026-01-01T00:00:00Z'),
      version: '0.1.0',
      psiMode: 'mask',
    });
    expect(EventDetailSchema.parse(detail)).toEqual(detail);
    expect(detail).toMatchObject({
      customerId: '564590100',
      uniqueId: null,
      displayName: null,
      attributes: { Mobile: MASKED_VALUE },
      poller: { scope: 'child', psi: { mode: 'mask', attributes: ['mobile'] } },
    });
  });
});
