import { describe, expect, it } from 'vitest';
import sample from '../../sandbox/sample-response.json' with { type: 'json' };
import { CapillaryEventSchema } from '../capillary-event.js';
import { FeedLearning } from './feed-learning.js';

const fetched = CapillaryEventSchema.parse(sample.data[0]);

describe('learning identifiers from the log', () => {
  it('ties records to an event by its eventId, uniqueId, requestId and x-cap-lineage-id', () => {
    const fromSample = new FeedLearning();
    fromSample.rememberFetched('564590100', [fetched]);
    // The sample's ids are all equal: one id, found in any of its fields.
    expect(fromSample.matchRecord('1284f7d3-7b54-473e-a72d-b6eaab91ecc3', ['m'])).toEqual([
      { customerId: '564590100', identifier: 'm' },
    ]);

    const distinct = CapillaryEventSchema.parse({
      ...sample.data[0],
      eventId: 'e',
      uniqueId: null,
      additonalAttributes: { requestId: 'r', 'x-cap-lineage-id': 'l', uniqueId: 42 },
    });
    const learning = new FeedLearning();
    learning.rememberFetched('c', [distinct]);
    for (const recordId of ['e', 'r', 'l']) {
      expect(learning.matchRecord(recordId, [`id-${recordId}`])).toEqual([
        { customerId: 'c', identifier: `id-${recordId}` },
      ]);
    }
    // Only text is an id: a number in a request-id field ties nothing.
    expect(learning.matchRecord('42', ['n'])).toEqual([]);
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
