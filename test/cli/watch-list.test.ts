// `watch list` shows each customer's freshness: last successful poll, next poll and staleness.
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { closeSharedDispatcher } from '../../src/adapters/capillary/shared-dispatcher.js';
import { runCli, wakeDelayMs } from '../../src/cli/run-cli.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { rawEvents } from '../support/poller-fixtures.js';

let capillary: CapillaryDouble;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  capillary = await CapillaryDouble.start();
  const client = dynamoDbLocalClient();
  const tableName = await createTestTable(client, 'watch-list');
  client.destroy();
  env = {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
    CAPILLARY_BASE_URL: capillary.url.toString(),
    CAPILLARY_USERNAME: 'till',
    CAPILLARY_PASSWORD: 'pw-for-list-test',
    POLL_INTERVAL_SECONDS: '60',
    LOG_LEVEL: 'SILENT',
  };
});

afterAll(async () => {
  await capillary.close();
  await closeSharedDispatcher();
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const code = await runCli(argv, { env, stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('watch list', () => {
  it('shows the last successful poll, the next poll and the staleness, plain and --json', async () => {
    capillary.setEvents('81', rawEvents('81', 1, 2));
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
    // New events: polled again after the shortest interval.
    expect(Date.parse(polled.nextPollAt) - lastPolledAt).toBe(60_000);
    expect(polled.stalenessSeconds).toBeGreaterThanOrEqual(0);
    expect(polled.stalenessSeconds).toBeLessThan(60);

    // The rows are data: stdout (the count goes to stderr).
    const plain = (await cli('watch', 'list')).stdout;
    expect(plain).toMatch(
      new RegExp(`81 .*polled ${polled.lastPolledAt} \\(\\d+s stale\\); next ${polled.nextPollAt}`),
    );
    expect(plain).toMatch(/82 .*paused.*never polled.*no next poll/);
  });
});

describe('the poll loop', () => {
  it('wakes when the next customer is due, at most one interval on, and never spins', () => {
    expect(wakeDelayMs(10_000, 4_000, 60_000, 3)).toBe(6_000);
    expect(wakeDelayMs(undefined, 4_000, 60_000, 0)).toBe(60_000);
    expect(wakeDelayMs(10_000_000, 4_000, 60_000, 0)).toBe(60_000);
    // Still due after a sweep that hit its budget: the next sweep follows almost at once.
    expect(wakeDelayMs(1_000, 4_000, 60_000, 50)).toBe(50);
    // Due but unclaimable (another poller holds them): a second, not a busy loop.
    expect(wakeDelayMs(1_000, 4_000, 60_000, 0)).toBe(1_000);
  });
});
