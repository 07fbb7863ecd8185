// `poll` runs the change feed beside its sweeps: a watched customer whose event appears in the
// org-wide log is polled at once (a hinted poll), ahead of its schedule, and `--json` says so.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawEvents } from '../support/poller-fixtures.js';
import { useInProcessCli } from './in-process-cli.js';

// A minute between polls: without the feed, the customer would not be polled again in this test.
const harness = useInProcessCli('change-feed-poll', { POLL_INTERVAL_SECONDS: '60' });
const cli = harness.run;

const IDENTIFIER = '919000000071';

/** A log record as the reference documents it, `inputRequest` a JSON string. */
function logRecord(id: string, startTime: number, customer: string) {
  return {
    startTime,
    responseTime: 120,
    orgId: 100737,
    status: 'EVENT_SUCCESS',
    eventName: 'purchase',
    inputRequest: JSON.stringify({ event_name: 'purchase', customer }),
    id,
    webhookId: 'w-1',
    parentOrgId: -1,
    message: 'Event processed successfully',
  };
}

describe('poll with the change feed', () => {
  it('polls a customer at once when its event appears in the log, once, and reports the hint', async () => {
    const { capillary } = harness;
    capillary.setEvents('71', rawEvents('71', 1, 2));
    capillary.setEvents('72', rawEvents('72', 1, 1));
    capillary.setEventLog([]);
    const dir = await mkdtemp(path.join(tmpdir(), 'feed-ids-'));
    const file = path.join(dir, 'ids.txt');
    await writeFile(file, `71 ${IDENTIFIER}\n72\n`);

    const added = await cli('watch', 'add', '--file', file);
    expect(added.code).toBe(0);
    expect(added.stderr).toContain('1 identifier(s) stored for the change feed');
    // A real table without the deployment's key: said, since a deployed feed could not match them.
    expect(added.stderr).toContain('set IDENTIFIER_KEY_SECRET_ARN');
    // Personal data: the value is never printed.
    expect(added.stderr + added.stdout).not.toContain(IDENTIFIER);

    const listed = JSON.parse((await cli('watch', 'list', '--json')).stdout) as {
      customerId: string;
      identifierKnown: boolean;
    }[];
    expect(listed.map((row) => [row.customerId, row.identifierKnown])).toEqual([
      ['71', true],
      ['72', false],
    ]);
    expect((await cli('watch', 'list')).stdout).toMatch(/^71 .*; identifier known$/m);

    const first = JSON.parse((await cli('poll', '--once', '--json')).stdout);
    expect(first).toMatchObject({ polled: 2, hints: 0, feed: { kind: 'read' } });

    // A new event of 71, and its record in the log (72 has one too, but no known identifier).
    capillary.setEvents('71', rawEvents('71', 1, 3));
    capillary.setEventLog([
      logRecord('req-71-3', Date.now(), IDENTIFIER),
      logRecord('req-72-2', Date.now(), '919000000072'),
    ]);
    const hinted = await cli('poll', '--once', '--json');
    expect(hinted.code).toBe(0);
    const second = JSON.parse(hinted.stdout);
    // Only 71 is polled, a minute ahead of its schedule, and its new event published.
    expect(second).toMatchObject({ polled: 1, newEvents: 1, published: 1, hints: 1 });
    expect(second.feed.counts).toMatchObject({ hints: 1, unmatched: 1 });
    expect(hinted.stderr).toMatch(
      /sweep: 1 customer\(s\) polled \(1 hinted by the change feed\), 1 new event\(s\)/,
    );

    // The record is read once: the next poll has nothing to do.
    const third = JSON.parse((await cli('poll', '--once', '--json')).stdout);
    expect(third).toMatchObject({ polled: 0, hints: 0 });
  });
});
