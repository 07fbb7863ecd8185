// `poll` with CHANGE_FEED_LOOKUP=on: a watched customer whose identifier nobody gave and no poll
// has taught yet is found through Capillary's customer lookup, learned and polled at once; an
// identifier of nobody watched is a negative answer; `--json` counts the lookups, and no
// identifier value is printed.
import { describe, expect, it } from 'vitest';
import { rawEvents } from '../support/poller-fixtures.js';
import { useInProcessCli } from './in-process-cli.js';

// A minute between polls: without the feed, the customer would not be polled again in this test.
const harness = useInProcessCli('change-feed-lookup', {
  POLL_INTERVAL_SECONDS: '60',
  CHANGE_FEED_LOOKUP: 'on',
});
const cli = harness.run;

const WATCHED = '919000000081';
const NOBODY = '919000000089';

function logRecord(id: string, startTime: number, customer: string) {
  return {
    startTime,
    responseTime: 120,
    orgId: 100737,
    status: 'EVENT_SUCCESS',
    eventName: 'purchase',
    inputRequest: JSON.stringify({ event_name: 'purchase', customer }),
    id,
    parentOrgId: -1,
    message: 'Event processed successfully',
  };
}

describe('poll with the customer lookup on', () => {
  it('finds a watched customer by lookup and polls it at once, printing no identifier value', async () => {
    const { capillary } = harness;
    capillary.setEvents('81', rawEvents('81', 1, 2));
    capillary.setEventLog([]);
    capillary.setCustomer(WATCHED, '81');
    expect((await cli('watch', 'add', '81')).code).toBe(0);
    const first = JSON.parse((await cli('poll', '--once', '--json')).stdout);
    expect(first).toMatchObject({ polled: 1, feed: { kind: 'read', lookups: { made: 0 } } });

    capillary.setEvents('81', rawEvents('81', 1, 3));
    capillary.setEventLog([
      logRecord('req-81-3', Date.now(), WATCHED),
      logRecord('req-89-1', Date.now(), NOBODY),
    ]);
    const hinted = await cli('poll', '--once', '--json');
    expect(hinted.code).toBe(0);
    const second = JSON.parse(hinted.stdout);
    expect(second).toMatchObject({ polled: 1, newEvents: 1, hints: 1 });
    expect(second.feed.lookups).toMatchObject({ made: 2, resolved: 1, negative: 1, failed: 0 });

    const listed = JSON.parse((await cli('watch', 'list', '--json')).stdout) as {
      customerId: string;
      identifierKnown: boolean;
    }[];
    expect(listed.map((row) => [row.customerId, row.identifierKnown])).toEqual([['81', true]]);

    // One lookup per value, and neither value printed.
    expect(capillary.lookupRequests()).toHaveLength(2);
    expect(hinted.stdout + hinted.stderr).not.toContain(WATCHED);
    expect(hinted.stdout + hinted.stderr).not.toContain(NOBODY);
  });
});
