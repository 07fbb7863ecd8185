// `poll <id...>`, run in-process through runCli against DynamoDB Local and a Capillary double:
// named customers are polled now, ahead of their schedule, through the same claim as a sweep.
import { describe, expect, it } from 'vitest';
import { detailOf } from '../support/eventbridge-double.js';
import { rawEvents } from '../support/poller-fixtures.js';
import { useInProcessCli } from './in-process-cli.js';

const harness = useInProcessCli('poll-named');
const cli = harness.run;

/** Customers whose events reached the bus since `from` entries had been accepted. */
const publishedSince = (from: number) =>
  harness.eventBridge.accepted.slice(from).map((entry) => String(detailOf(entry).customerId));

describe('poll <customerId...>', () => {
  it('polls the named customers now, though not due, and reports unknown or paused ones per id', async () => {
    harness.capillary.setEvents('81', rawEvents('81', 1, 1));
    harness.capillary.setEvents('82', rawEvents('82', 1, 1));
    harness.capillary.setEvents('83', rawEvents('83', 1, 1));
    expect((await cli('watch', 'add', '81', '82', '83', '--backfill')).code).toBe(0);
    expect((await cli('poll', '--once')).code).toBe(0);
    expect((await cli('watch', 'pause', '83')).code).toBe(0);

    // A new event for 81; no customer is due for a minute at least.
    harness.capillary.setEvents('81', rawEvents('81', 1, 2));
    harness.capillary.clearRequests();
    const sweep = await cli('poll', '--once', '--json');
    expect(JSON.parse(sweep.stdout.trim())).toMatchObject({ claimed: 0, polled: 0 });
    expect(harness.capillary.eventRequests()).toHaveLength(0);

    const before = harness.eventBridge.accepted.length;
    const named = await cli('poll', '81', '9999', '83', '--json');
    expect(named.code).toBe(1);
    expect(publishedSince(before)).toEqual(['81']);
    const summary = JSON.parse(named.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(summary).toMatchObject({ claimed: 1, polled: 1, newEvents: 1, published: 1 });
    expect(summary.failures).toEqual([
      { customerId: '9999', reason: 'not watched' },
      { customerId: '83', reason: 'paused: `watch resume` it first' },
    ]);
    expect(named.stderr).toContain('failed 9999: not watched');
    expect(harness.capillary.eventRequests().map((request) => request.customerId)).toEqual(['81']);

    // Polled now: its schedule moved on from this poll (found something: the shortest interval).
    const list = JSON.parse((await cli('watch', 'list', '--json')).stdout) as {
      customerId: string;
      nextPollAt: string;
    }[];
    const next81 = Date.parse(list.find((row) => row.customerId === '81')?.nextPollAt ?? '');
    const next82 = Date.parse(list.find((row) => row.customerId === '82')?.nextPollAt ?? '');
    expect(next81).toBeGreaterThan(next82);
  });

  it('refuses a bad id with exit 2 before polling anything', async () => {
    harness.capillary.clearRequests();
    const refused = await cli('poll', '81', '08');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('invalid customer id "08"');
    expect(harness.capillary.eventRequests()).toHaveLength(0);
  });
});
