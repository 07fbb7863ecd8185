// `watch list` shows each customer's freshness: last successful poll, next poll and staleness.
import { describe, expect, it } from 'vitest';
import { rawEvents } from '../support/poller-fixtures.js';
import { useInProcessCli } from './in-process-cli.js';

const harness = useInProcessCli('watch-list', { POLL_INTERVAL_SECONDS: '60' });
const cli = harness.run;

describe('watch list', () => {
  it('shows the last successful poll, the next poll and the staleness, plain and --json', async () => {
    harness.capillary.setEvents('81', rawEvents('81', 1, 2));
    expect((await cli('watch', 'add', '81', '82', '--backfill')).code).toBe(0);
    await cli('watch', 'pause', '82');
    const before = JSON.parse((await cli('watch', 'list', '--json')).stdout);
    expect(before).toEqual([
      expect.objectContaining({ customerId: '81', lastPolledAt: null, status: 'active' }),
      expect.objectContaining({ customerId: '82', lastPolledAt: null, nextPollAt: null }),
    ]);
    // Due at once when watched.
    expect(Date.parse(before[0].nextPollAt)).toBeLessThanOrEqual(Date.now());

    const startedAt = Date.now();
    expect((await cli('poll', '--once')).code).toBe(0);
    const [polled] = JSON.parse((await cli('watch', 'list', '--json')).stdout);
    const lastPolledAt = Date.parse(polled.lastPolledAt);
    expect(lastPolledAt).toBeGreaterThanOrEqual(startedAt);
    // New events: polled again the shortest interval after the poll ended; lastPolledAt is when
    // it began, so a hint for an event during the poll is not taken as seen.
    const interval = Date.parse(polled.nextPollAt) - lastPolledAt;
    expect(interval).toBeGreaterThanOrEqual(60_000);
    expect(interval).toBeLessThan(70_000);
    expect(polled.stalenessSeconds).toBeGreaterThanOrEqual(0);
    expect(polled.stalenessSeconds).toBeLessThan(60);

    // The rows are data: stdout (the count goes to stderr).
    const plain = (await cli('watch', 'list')).stdout;
    expect(plain).toMatch(
      new RegExp(`81 .*polled ${polled.lastPolledAt} \\(\\d+s stale\\); next ${polled.nextPollAt}`),
    );
    expect(plain).toMatch(/82 .*paused.*never polled.*no next poll/);
  });

  it('lists ids in numeric order, up to 19 digits', async () => {
    const ids = ['9223372036854775807', '10', '9', '9223372036854775806', '100', '2'];
    expect((await cli('watch', 'add', ...ids)).code).toBe(0);
    const listed = JSON.parse((await cli('watch', 'list', '--json')).stdout) as {
      customerId: string;
    }[];
    expect(listed.map((row) => row.customerId).filter((id) => ids.includes(id))).toEqual([
      '2',
      '9',
      '10',
      '100',
      '9223372036854775806',
      '9223372036854775807',
    ]);
  });
});
