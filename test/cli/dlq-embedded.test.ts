// `dlq list|redrive|purge` on the embedded defaults (no DLQ_URL, events on stdout): parked events
// are kept under .data/dead-letters/, so the redrive flow can be tried without AWS. Real CLI
// processes, each test in its own working directory.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EmbeddedDeadLetterQueue } from '../../src/adapters/embedded/embedded-dead-letter-queue.js';
import { outgoingEvent } from '../support/outgoing-event.js';
import { type CliRun, runCliProcess, shown } from './cli-process.js';

// Each test drives several CLI processes; on a loaded machine each start takes seconds.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const directories: string[] = [];
afterAll(async () => {
  await Promise.all(
    directories.map((directory) => rm(directory, { recursive: true, force: true })),
  );
});

async function workingDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'dlq-embedded-'));
  directories.push(directory);
  return directory;
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

function expectExit(run: CliRun, code: number): void {
  expect(run.code, shown(run)).toBe(code);
}

describe('the embedded dead-letter queue', () => {
  it('is where a poll on the embedded defaults parks; dlq list shows what is parked and dlq redrive publishes it', async () => {
    const cwd = await workingDirectory();
    // All or nothing: the embedded queue goes with the embedded table, bus and sandbox only, whose
    // events are all publishable, so the parked event is put there the way poll parks it.
    const cli = (...args: string[]) => runCliProcess(args, { cwd, env: { LOG_LEVEL: 'SILENT' } });
    const poll = await cli('poll', '--once');
    expectExit(poll, 0);
    expect(poll.stderr).toContain('kept in .data/dead-letters/');
    const sink = new EmbeddedDeadLetterQueue({
      directory: path.join(cwd, '.data', 'dead-letters'),
    });
    const [parked] = await sink.park([
      {
        event: outgoingEvent({
          key: 'u-77-0002',
          customerId: '77',
          time: new Date(Date.UTC(2026, 0, 1)),
          attributes: {},
          uniqueId: 'u-77-0002',
          eventId: null,
        }),
        reason: 'the event cannot be published as it is: no valid date',
      },
    ]);
    expect(parked?.parked).toBe(true);

    const list = await cli('dlq', 'list', '--json');
    expectExit(list, 0);
    const rows = JSON.parse(list.stdout) as { customerId: string; reason: string; key: string }[];
    expect(rows).toEqual([
      expect.objectContaining({
        customerId: '77',
        key: 'u-77-0002',
        reason: expect.stringContaining('cannot be published'),
      }),
    ]);
    expect(list.stderr).toContain('1 parked event(s) in the dead-letter queue');

    const redriven = await cli('dlq', 'redrive');
    expectExit(redriven, 0);
    const entries = lines(redriven.stdout).filter((line) => line.startsWith('{'));
    expect(entries.map((line) => JSON.parse(line).Detail.poller.eventKey)).toEqual(['u-77-0002']);
    expect(redriven.stderr).toContain('1 parked event(s) found, 1 published and deleted');

    const after = await cli('dlq', 'list');
    expectExit(after, 0);
    expect(after.stderr).toContain('0 parked event(s) in the dead-letter queue');
  });

  it('dlq purge --yes empties it', async () => {
    const cwd = await workingDirectory();
    const cli = (...args: string[]) => runCliProcess(args, { cwd, env: { LOG_LEVEL: 'SILENT' } });
    // Parked the way poll parks them: the same sink, in the directory npm start uses.
    const sink = new EmbeddedDeadLetterQueue({
      directory: path.join(cwd, '.data', 'dead-letters'),
    });
    const parked = await sink.park(
      [1, 2].map((n) => ({
        event: outgoingEvent({
          key: `key-${n}`,
          customerId: '78',
          time: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
          attributes: {},
          uniqueId: `unique-${n}`,
          eventId: null,
        }),
        reason: 'rejected by the bus',
      })),
    );
    expect(parked.every((outcome) => outcome.parked)).toBe(true);

    const list = await cli('dlq', 'list');
    expectExit(list, 0);
    expect(lines(list.stdout).map((line) => line.trim().split(/\s+/)[3])).toEqual([
      'key-1',
      'key-2',
    ]);
    expect(list.stderr).toContain('• Dead-letter queue: embedded');

    const purged = await cli('dlq', 'purge', '--yes');
    expectExit(purged, 0);
    expect(purged.stderr).toContain('dlq purge: 2 parked event(s) deleted');
    expect((await cli('dlq', 'list')).stderr).toContain(
      '0 parked event(s) in the dead-letter queue',
    );
  });
});
