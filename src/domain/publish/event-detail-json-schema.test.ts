import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventDetailJsonSchema } from './event-detail-json-schema.js';

describe('eventDetailJsonSchema', () => {
  it('matches docs/event-detail.schema.json (run `npm run schema` after changing the detail)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../../docs/event-detail.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(eventDetailJsonSchema());
  });

  it('is draft-04 and requires every detail field, so consumers can rely on them', () => {
    const schema = eventDetailJsonSchema();
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(schema.required).toEqual([
      'customerId',
      'orgId',
      'eventName',
      'uniqueId',
      'eventId',
      'date',
      'source',
      'tillCode',
      'displayName',
      'attributes',
      'poller',
    ]);
  });
});
