import { describe, expect, it } from 'vitest';
import sample from '../sandbox/sample-response.json' with { type: 'json' };
import { CapillaryEventSchema } from './capillary-event.js';
import { FeedLearning, requestIdsOf } from './feed-learning.js';

const fetched = CapillaryEventSchema.parse(sample.data[0]);

describe('learning identifiers from the log', () => {
  it("takes an event's request ids from eventId, uniqueId, requestId and x-cap-lineage-id", () => {
    expect(requestIdsOf(fetched)).toEqual(['1284f7d3-7b54-473e-a72d-b6eaab91ecc3']);
    const distinct = CapillaryEventSchema.parse({
      ...sample.data[0],
      eventId: 'e',
      uniqueId: null,
      additonalAttributes: { requestId: 'r', 'x-cap-lineage-id': 'l', uniqueId: 42 },
    });
    expect(requestIdsOf(distinct)).toEqual(['e', 'r', 'l']);
  });

  it('ties a record to the customer whose poll fetched its event, whichever came first', () => {
    const pollFirst = new FeedLearning();
    expect(pollFirst.rememberFetched('564590100', [fetched])).toEqual([]);
    expect(pollFirst.matchRecord('1284f7d3-7b54-473e-a72d-b6eaab91ecc3', ['918088369835'])).toEqual(
      [{ customerId: '564590100', identifier: '918088369835' }],
    );

    const logFirst = new FeedLearning();
    expect(logFirst.matchRecord('1284f7d3-7b54-473e-a72d-b6eaab91ecc3', ['918088369835'])).toEqual(
      [],
    );
    expect(logFirst.rememberFetched('564590100', [fetched])).toEqual([
      { customerId: '564590100', identifier: '918088369835' },
    ]);
    // Learned once.
    expect(logFirst.rememberFetched('564590100', [fetched])).toEqual([]);
  });

  it('remembers a bounded number of records, the newest', () => {
    const learning = new FeedLearning(2);
    learning.matchRecord('1284f7d3-7b54-473e-a72d-b6eaab91ecc3', ['a']);
    learning.matchRecord('x', ['b']);
    learning.matchRecord('y', ['c']);
    expect(learning.rememberFetched('1', [fetched])).toEqual([]);
  });
});
