// The CLI as a Unix tool, driven as child processes: help, stdout for data and stderr for people,
// exit codes, every unknown option at once, Ctrl-C, one hint for a fleet-wide failure, and two
// terminals sharing the embedded database. Each test runs in its own working directory, so the
// embedded data under .data/ is its own.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { SANDBOX_CUSTOMER_ID } from '../../src/sandbox/capillary-sandbox.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { EventBridgeDouble, TEST_BUS } from '../support/eventbridge-double.js';
import { type CliRun, runCliProcess, shown, startCli } from './cli-process.js';

// Each test drives several CLI processes; on a loaded machine each start takes seconds.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const directories: string[] = [];
let eventBridge: EventBridgeDouble | undefined;
afterAll(async () => {
  await Promise.all([
    ...directories.map((directory) => rm(directory, { recursive: true, force: true })),
    eventBridge?.close(),
  ]);
});

/**
 * A table of its own on DynamoDB Local and a bus: a real Capillary runs only with real state (the
 * embedded defaults are all or nothing).
 */
async function realStateSettings(): Promise<Record<string, string>> {
  eventBridge ??= await EventBridgeDouble.start();
  const client = dynamoDbLocalClient();
  try {
    return {
      TABLE_NAME: await createTestTable(client, 'cli-unix'),
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: TEST_BUS,
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
    };
  } finally {
    client.destroy();
  }
}

async function workingDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'cli-unix-'));
  directories.push(directory);
  return directory;
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('help', () => {
  it('--help and -h print the usage on stdout and exit 0, for the tool and for a command', async () => {
    const [tool, short, command] = await Promise.all([
      runCliProcess(['--help']),
      runCliProcess(['-h']),
      runCliProcess(['dlq', 'redrive', '-h']),
    ]);
    for (const run of [tool, short, command]) {
      expect(run.code, shown(run)).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^Usage: npm run cli -- /);
    }
    expect(tool.stdout).toContain('dlq redrive [--limit N] [--dry-run]');
    expect(tool.stdout).toContain('130');
    expect(short.stdout).toBe(tool.stdout);
    expect(command.stdout).toMatch(/^Usage: npm run cli -- dlq redrive/);
    expect(command.stdout).toContain('--dry-run');
  });

  it('with no command, prints the usage on stderr and exits 2 (bad usage), nothing on stdout', async () => {
    const [none, help] = await Promise.all([runCliProcess([]), runCliProcess(['--help'])]);
    expect(none.code, shown(none)).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(help.stdout);
    expect(lines(none.stderr).slice(-2)).toEqual([
      'no command given',
      '(run `npm run cli -- --help` for the usage)',
    ]);
  });

  it('reports every unknown option on stderr with exit 2, and nothing on stdout', async () => {
    const run = await runCliProcess(['watch', 'list', '--jsn', '--verbose', '--once']);
    expect(run.code, shown(run)).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('unknown option --jsn');
    expect(run.stderr).toContain('unknown option --verbose');
    expect(run.stderr).toContain('--once does not apply to watch list');
    expect(run.stderr).toContain('npm run cli -- watch list --help');
  });
});

/** A Capillary stand-in that holds every request until the test answers it. */
class HeldCapillary {
  readonly held: ServerResponse[] = [];
  /** Requests received so far, answered or not. */
  received = 0;
  readonly arrivals: { count: number; resolve: () => void }[] = [];
  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<HeldCapillary> {
    let double: HeldCapillary | undefined;
    const server = createServer((_request: IncomingMessage, response: ServerResponse) => {
      if (!double) return;
      double.held.push(response);
      double.received++;
      for (const waiter of [...double.arrivals]) {
        if (double.received >= waiter.count) {
          double.arrivals.splice(double.arrivals.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    double = new HeldCapillary(server, `http://127.0.0.1:${port}`);
    return double;
  }

  /** Resolves once `count` requests in all have arrived. */
  arrived(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push({ count, resolve }));
  }

  answerAll(status: number): void {
    for (const response of this.held.splice(0)) {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ data: [], errors: [{ code: status, message: 'refused' }] }));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('Ctrl-C', () => {
  const settings = (capillary: HeldCapillary, state: Record<string, string>) => ({
    ...state,
    CAPILLARY_BASE_URL: capillary.url,
    CAPILLARY_USERNAME: 'till',
    CAPILLARY_PASSWORD: 'secret',
    CAPILLARY_MAX_ATTEMPTS: '1',
  });

  it('lets the sweep in flight finish and exits with its code; a second one exits 130 at once', async () => {
    const capillary = await HeldCapillary.start();
    try {
      const cwd = await workingDirectory();
      const state = await realStateSettings();
      const added = await runCliProcess(['watch', 'add', '7'], { cwd, env: state });
      expect(added.code, shown(added)).toBe(0);

      // First Ctrl-C while the poll is in flight: the sweep ends (a 401: exit 1), then the CLI.
      // A terminal delivers one press to the whole process group and npm forwards it too: the
      // echo a moment later is the same press, not a second one.
      const poll = startCli(['poll'], { cwd, env: settings(capillary, state) });
      await capillary.arrived(1);
      poll.child.kill('SIGINT');
      poll.child.kill('SIGINT');
      await poll.waitForStderr('finishing the work in flight');
      expect(poll.child.exitCode).toBeNull();
      capillary.answerAll(401);
      const finished = await poll.done;
      expect(finished.code, shown(finished)).toBe(1);
      expect(finished.stderr).toMatch(/sweep: 0 customer\(s\) polled.* 1 failed/);

      // Two Ctrl-C while the poll is in flight: out at once with 130, the sweep left unfinished.
      // A customer of its own: the one that failed above is not due again for a while.
      const secondCwd = await workingDirectory();
      const secondState = await realStateSettings();
      const addedAgain = await runCliProcess(['watch', 'add', '8'], {
        cwd: secondCwd,
        env: secondState,
      });
      expect(addedAgain.code, shown(addedAgain)).toBe(0);
      const second = startCli(['poll'], { cwd: secondCwd, env: settings(capillary, secondState) });
      await capillary.arrived(capillary.received + 1);
      second.child.kill('SIGINT');
      await second.waitForStderr('finishing the work in flight');
      // A real second press comes after the echo window (1 s).
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      second.child.kill('SIGINT');
      const interrupted = await second.done;
      expect(interrupted.code, shown(interrupted)).toBe(130);
      expect(interrupted.stderr).not.toContain('sweep:');
    } finally {
      capillary.answerAll(503);
      await capillary.close();
    }
  });
});

describe('a fleet-wide failure', () => {
  it('ends with one plain hint to check CAPILLARY_BASE_URL when no customer could reach it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const cwd = await workingDirectory();
    const state = await realStateSettings();
    const added = await runCliProcess(['watch', 'add', '1', '2', '3'], { cwd, env: state });
    expect(added.code, shown(added)).toBe(0);
    const run = await runCliProcess(['poll', '--once'], {
      cwd,
      env: {
        ...state,
        CAPILLARY_BASE_URL: `http://127.0.0.1:${port}`,
        CAPILLARY_USERNAME: 'till',
        CAPILLARY_PASSWORD: 'secret',
        CAPILLARY_MAX_ATTEMPTS: '1',
      },
    });
    expect(run.code, shown(run)).toBe(1);
    const hints = lines(run.stderr).filter((line) => line.startsWith('hint:'));
    expect(hints).toEqual([expect.stringContaining('check CAPILLARY_BASE_URL')]);
    expect(lines(run.stderr).at(-1)).toBe(hints[0]);
  });
});

describe('two terminals on the embedded defaults', () => {
  it('while npm start runs, other commands use its database; the removed sandbox customer stays removed', async () => {
    const cwd = await workingDirectory();
    const poller = startCli(['poll'], { cwd });
    let stopped: CliRun | undefined;
    try {
      await poller.waitForStderr('sweep:');
      const announcement = JSON.parse(
        await readFile(path.join(cwd, '.data', 'dynalite.endpoint.json'), 'utf8'),
      ) as { endpoint: string; pid: number };
      expect(new URL(announcement.endpoint).hostname).toBe('127.0.0.1');
      expect(announcement.pid).toBe(poller.child.pid);

      // A second terminal: no lock error, and it sees what the poller wrote.
      const added = await runCliProcess(['watch', 'add', '42'], { cwd });
      expect(added.code, shown(added)).toBe(0);
      expect(added.stderr).toContain('shared with the poller running on this machine');
      const removed = await runCliProcess(['watch', 'remove', SANDBOX_CUSTOMER_ID], { cwd });
      expect(removed.code, shown(removed)).toBe(0);
      const list = await runCliProcess(['watch', 'list'], { cwd });
      expect(list.code, shown(list)).toBe(0);
      expect(lines(list.stdout).map((line) => line.split(/\s+/)[0])).toEqual(['42']);
      expect(list.stderr).toContain('1 watched customer(s)');
      // The AWS SDK's Node-version notice (Node 20 here) stays out of our output.
      expect(list.stderr).not.toContain('NodeVersionSupportWarning');

      poller.child.kill('SIGINT');
      stopped = await poller.done;
      expect(stopped.code, shown(stopped)).toBe(0);
    } finally {
      if (!stopped) poller.child.kill('SIGKILL');
    }
    // Withdrawn on exit; and a stale announcement (dead process) is ignored.
    await expect(readFile(path.join(cwd, '.data', 'dynalite.endpoint.json'))).rejects.toThrow();
    await writeFile(
      path.join(cwd, '.data', 'dynalite.endpoint.json'),
      JSON.stringify({
        endpoint: 'http://127.0.0.1:9/',
        pid: 2 ** 22 + 1,
        directory: path.join(cwd, '.data', 'dynalite'),
      }),
    );

    // The next npm start does not bring the sandbox customer back.
    const again = await runCliProcess(['poll', '--once'], { cwd });
    expect(again.code, shown(again)).toBe(0);
    const list = await runCliProcess(['watch', 'list', '--json'], { cwd });
    expect(list.code, shown(list)).toBe(0);
    expect(
      (JSON.parse(list.stdout) as { customerId: string }[]).map((row) => row.customerId),
    ).toEqual(['42']);
  });

  it('unknown customers exit 1 for remove, pause and resume alike; a file of ids is added in batches with progress', async () => {
    const cwd = await workingDirectory();
    const ids = Array.from({ length: 2_500 }, (_, index) => String(1_000_000 + index));
    await writeFile(path.join(cwd, 'ids.txt'), `${ids.join('\n')}\n`);
    const bulk = await runCliProcess(['watch', 'add', '--file', 'ids.txt', '1000000', '--json'], {
      cwd,
    });
    expect(bulk.code, shown(bulk)).toBe(0);
    expect(bulk.stderr).toContain('watch add: 2500/2500 customer(s) written');
    expect(bulk.stderr).toContain('2500 customer(s) now watched');
    const results = JSON.parse(bulk.stdout) as { customerId: string; added: boolean }[];
    expect(results).toHaveLength(2_500);
    expect(results.every((result) => result.added)).toBe(true);
    // Bulk-added customers are scheduled like any other: the next sweep polls them.
    const listed = await runCliProcess(['watch', 'list', '--json'], { cwd });
    const rows = JSON.parse(listed.stdout) as { scheduled: boolean; nextPollAt: string | null }[];
    expect(rows).toHaveLength(2_500);
    expect(rows.every((row) => row.scheduled && row.nextPollAt !== null)).toBe(true);

    const again = await runCliProcess(['watch', 'add', '1000000', '999', '--json'], { cwd });
    expect(JSON.parse(again.stdout)).toEqual([
      { customerId: '1000000', added: false },
      { customerId: '999', added: true },
    ]);

    for (const verb of ['remove', 'pause', 'resume']) {
      const run = await runCliProcess(['watch', verb, '5'], { cwd });
      expect(run.code, shown(run)).toBe(1);
      expect(run.stderr).toMatch(/5: (was )?not watched/);
    }
  });
});
