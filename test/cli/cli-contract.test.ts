// The CLI's contract, driven as a child process: exit codes, what goes to stdout (data only) and
// stderr (people), settings and id validation, and secrets. Every run points at test services
// (DynamoDB Local, the Capillary and EventBridge doubles), so nothing embedded or under .data/ is
// touched.
import { randomUUID } from 'node:crypto';
import {
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import { basicAuthorization, md5Hex } from '../support/capillary-basic-auth.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { detailOf, EventBridgeDouble } from '../support/eventbridge-double.js';
import { rawEvents, uniqueIdOf } from '../support/poller-fixtures.js';
import { type CliRun, shown, startCli } from './cli-process.js';

// Each test drives several CLI processes; on a loaded machine each start takes seconds.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const USERNAME = 'cli_till';
const PASSWORD = 'Cli-Sup3r-Secret-Pa55';
const MD5 = md5Hex(PASSWORD);
const BASIC_VALUE = basicAuthorization(USERNAME, PASSWORD).slice('Basic '.length);
const BUS = 'capillary-cli-bus';

/** Every run, for the secrets check at the end. */
const runs: CliRun[] = [];

/** Runs the real CLI with exactly `env` (plus PATH and HOME), stdin closed. */
async function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const started = startCli(args, { env });
  // A ceiling for a stuck process, not a speed check: a loaded machine runs a CLI start in seconds.
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 110_000);
  const run = await started.done.finally(() => clearTimeout(timer));
  runs.push(run);
  return run;
}

/** The exit code, with the run's output in the failure message. */
function expectExit(run: CliRun, code: number): void {
  expect(run.code, shown(run)).toBe(code);
}

const linesOf = (text: string) => text.split('\n').filter((line) => line !== '');

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let dynamo: DynamoDBClient;
/** Made by `init` in the tests. */
const mainTable = `test-cli-${randomUUID()}`;
/** Stays empty: the refused commands must not write to it. */
let untouchedTable: string;
/** Pre-filled for the poll that has failing customers. */
let failingTable: string;

function settingsFor(tableName: string): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
    CAPILLARY_BASE_URL: capillary.url.toString(),
    CAPILLARY_USERNAME: USERNAME,
    CAPILLARY_PASSWORD: PASSWORD,
    CAPILLARY_MAX_ATTEMPTS: '2',
    // A real table needs a real bus (the stdout printer is for the embedded defaults only).
    EVENT_BUS_NAME: BUS,
    EVENTBRIDGE_ENDPOINT: eventBridge.url,
    LOG_LEVEL: 'DEBUG',
  };
}

/** What the bus received from these customers' polls, in order. */
const publishedTo = (customerIds: string[]) =>
  eventBridge.accepted.filter((entry) => customerIds.includes(String(detailOf(entry).customerId)));

/** Runs that depend on nothing else start at once and are awaited by their tests. */
let independent: {
  invalidIds: Promise<CliRun>;
  invalidDashId: Promise<CliRun>;
  badSettings: Promise<CliRun>;
  oauthWithoutCredentials: Promise<CliRun>;
  unknownCommand: Promise<CliRun>;
  unknownOption: Promise<CliRun>;
  failingPoll: Promise<CliRun>;
};

beforeAll(async () => {
  [capillary, eventBridge] = await Promise.all([
    CapillaryDouble.start(),
    EventBridgeDouble.start(),
  ]);
  capillary.setAuth({ kind: 'basic', username: USERNAME, password: PASSWORD });
  dynamo = dynamoDbLocalClient();
  [untouchedTable, failingTable] = await Promise.all([
    createTestTable(dynamo, 'cli-untouched'),
    createTestTable(dynamo, 'cli-failing'),
  ]);

  const store = new DynamoDbCursorStore({ client: dynamo, tableName: failingTable });
  for (const customerId of ['10', '11', '12', '13']) {
    await store.addCustomer(
      newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
    );
  }
  capillary.setEvents('10', rawEvents('10', 1, 3));
  capillary.setEvents('11', rawEvents('11', 1, 2));
  capillary.setEvents('12', rawEvents('12', 1, 2));
  capillary.setEvents('13', rawEvents('13', 1, 2));
  // Customer 12: HTTP 500 on both attempts, the body echoing the credentials back.
  capillary.failNext(
    '12',
    {
      kind: 'server-error',
      status: 500,
      errors: [
        { code: 500, message: `till ${USERNAME} Basic ${BASIC_VALUE} ${MD5} ${PASSWORD} broke` },
      ],
    },
    2,
  );
  // Customer 13: an `errors` array in a 200.
  capillary.failNext('13', {
    kind: 'api-errors',
    errors: [{ code: 8015, message: 'Customer not found for given identifier' }],
  });

  const untouched = settingsFor(untouchedTable);
  independent = {
    invalidIds: cli(
      ['watch', 'add', '5', 'abc', '12a', '1234567890123456789012345', ''],
      untouched,
    ),
    invalidDashId: cli(['watch', 'add', '6', 'abc', '-1'], untouched),
    badSettings: cli(['watch', 'list'], {
      ...untouched,
      CAPILLARY_BASE_URL: 'http://example.com',
      EVENT_SOURCE: 'aws.foo',
      POLL_CONCURRENCY: '0',
      CAPILLARY_AUTH: 'oauth',
    }),
    oauthWithoutCredentials: cli(['watch', 'list'], { ...untouched, CAPILLARY_AUTH: 'oauth' }),
    unknownCommand: cli(['frobnicate'], untouched),
    unknownOption: cli(['poll', '--once', '--bogus'], untouched),
    failingPoll: cli(['poll', '--once', '--json'], settingsFor(failingTable)),
  };
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(independent ?? {}));
  await Promise.all([capillary?.close(), eventBridge?.close()]);
  dynamo?.destroy();
});

async function itemCount(tableName: string): Promise<number> {
  const { Items } = await dynamo.send(new ScanCommand({ TableName: tableName }));
  return Items?.length ?? 0;
}

describe('CLI: the watchlist and polling on one table', () => {
  const env = () => settingsFor(mainTable);

  it('init creates the table, and says it exists the second time (exit 0)', async () => {
    const first = await cli(['init'], env());
    expectExit(first, 0);
    expect(first.stderr).toContain(`table ${mainTable}: created`);
    expect(first.stdout).toBe('');
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: mainTable }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'customerId', KeyType: 'HASH' }]);

    const second = await cli(['init'], env());
    expectExit(second, 0);
    expect(second.stderr).toContain(`table ${mainTable}: exists`);
  });

  it('watch add, watch list --json and watch remove manage the watchlist (exit 0)', async () => {
    const [backfilled, child] = await Promise.all([
      cli(['watch', 'add', '1', '2', '--backfill'], env()),
      cli(['watch', 'add', '3', '--scope', 'child'], env()),
    ]);
    expectExit(backfilled, 0);
    expect(backfilled.stderr).toContain('1: watching (backfill, scope default)');
    expect(backfilled.stderr).toContain('2: watching (backfill, scope default)');
    expectExit(child, 0);
    expect(child.stderr).toContain('3: watching (baseline, scope child)');

    const listed = await cli(['watch', 'list', '--json'], env());
    expectExit(listed, 0);
    // stdout is one JSON document and nothing else.
    const rows = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(linesOf(listed.stdout)).toHaveLength(1);
    expect(rows).toEqual([
      expect.objectContaining({
        customerId: '1',
        mode: 'backfill',
        scope: 'default',
        status: 'active',
        lastSeenId: null,
        lastSeenDate: null,
        lagSeconds: null,
      }),
      expect.objectContaining({ customerId: '2', mode: 'backfill', scope: 'default' }),
      expect.objectContaining({ customerId: '3', mode: 'baseline', scope: 'child' }),
    ]);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining([
          'mode',
          'scope',
          'lastSeenId',
          'lastSeenDate',
          'lagSeconds',
          'lastPolledAt',
          'nextPollAt',
          'stalenessSeconds',
        ]),
      );
    }

    const removed = await cli(['watch', 'remove', '2'], env());
    expectExit(removed, 0);
    expect(removed.stderr).toContain('2: no longer watched');
    const gone = await dynamo.send(
      new GetItemCommand({ TableName: mainTable, Key: { customerId: { S: '2' } } }),
    );
    expect(gone.Item).toBeUndefined();
    // Customers 1 and 3 remain: a cursor and a schedule item each.
    expect(await itemCount(mainTable)).toBe(4);
  });

  it('poll --once publishes each new event to the bus, oldest first; stdout stays empty, the summary goes to stderr', async () => {
    capillary.setEvents('1', rawEvents('1', 1, 4));
    capillary.setEvents('2', rawEvents('2', 1, 4));
    capillary.setEvents('3', rawEvents('3', 1, 2));

    const run = await cli(['poll', '--once'], env());

    expectExit(run, 0);
    expect(run.stdout).toBe('');
    const entries = publishedTo(['1', '2', '3']);
    // Customer 1 is backfilled; 3 is baselined (nothing); 2 is no longer watched.
    expect(entries.map((entry) => detailOf(entry).uniqueId)).toEqual([
      uniqueIdOf('1', 1),
      uniqueIdOf('1', 2),
      uniqueIdOf('1', 3),
      uniqueIdOf('1', 4),
    ]);
    for (const entry of entries) {
      expect(entry.Source).toBe('capillary.events');
      expect(entry.EventBusName).toBe(BUS);
      expect(entry.DetailType).toBe(detailOf(entry).eventName);
    }
    const times = entries.map((entry) => Number(entry.Time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(capillary.eventRequests('2')).toHaveLength(0);
    expect(capillary.eventRequests('3')[0]?.url).toContain('scope=child');
    expect(run.stderr).toMatch(/sweep: 2 customer\(s\) polled, 4 new event\(s\), 4 published/);
    expect(run.stderr).toContain('1 baselined');
    expect(run.stderr).toContain('0 failed');
  });

  it('a second poll --once publishes only what is new since the last one', async () => {
    capillary.setEvents('1', rawEvents('1', 1, 5));
    capillary.setEvents('3', rawEvents('3', 1, 4));

    // Due again now (as `watch resume` makes them), not after their interval: this poll follows
    // the previous one at once.
    const store = new DynamoDbCursorStore({ client: dynamo, tableName: mainTable });
    for (const customerId of ['1', '3']) {
      await store.setStatus(customerId, 'paused', Date.now());
      await store.setStatus(customerId, 'active', Date.now());
    }
    const before = publishedTo(['1', '3']).length;
    const run = await cli(['poll', '--once'], env());

    expectExit(run, 0);
    expect(run.stdout).toBe('');
    const published = publishedTo(['1', '3'])
      .slice(before)
      .map((entry) => ({
        customerId: detailOf(entry).customerId,
        uniqueId: detailOf(entry).uniqueId,
      }));
    // Only what is new since the last poll: 1's fifth event, 3's events after its baseline.
    expect(published.filter((entry) => entry.customerId === '1')).toEqual([
      { customerId: '1', uniqueId: uniqueIdOf('1', 5) },
    ]);
    expect(published.filter((entry) => entry.customerId === '3')).toEqual([
      { customerId: '3', uniqueId: uniqueIdOf('3', 3) },
      { customerId: '3', uniqueId: uniqueIdOf('3', 4) },
    ]);
    expect(run.stderr).toMatch(/3 published/);
  });
});

describe('CLI: refusals', () => {
  it('refuses invalid customer ids with exit 2, naming each, and writes nothing', async () => {
    const run = await independent.invalidIds;
    expectExit(run, 2);
    for (const id of ['abc', '12a', '1234567890123456789012345', '']) {
      expect(run.stderr).toContain(`invalid customer id ${JSON.stringify(id)}`);
    }
    expect(run.stderr).not.toContain('invalid customer id "5"');
    expect(run.stdout).toBe('');
    expect(await itemCount(untouchedTable)).toBe(0);
  });

  it('refuses a negative customer id with exit 2, naming it and every other bad id, and writes nothing', async () => {
    const run = await independent.invalidDashId;
    expectExit(run, 2);
    expect(run.stderr).toContain('-1');
    // One run lists every problem (parseCommand's contract), so "abc" is named too.
    expect(run.stderr).toContain('invalid customer id "abc"');
    expect(await itemCount(untouchedTable)).toBe(0);
  });

  it('refuses bad settings with exit 2 and one line per problem naming the setting', async () => {
    const run = await independent.badSettings;
    expectExit(run, 2);
    const lines = linesOf(run.stderr);
    for (const setting of [
      'CAPILLARY_BASE_URL',
      'EVENT_SOURCE',
      'POLL_CONCURRENCY',
      'CAPILLARY_CLIENT_KEY',
      'CAPILLARY_CLIENT_SECRET',
    ]) {
      expect(lines.filter((line) => line.startsWith(`${setting}: `))).toHaveLength(1);
    }
    expect(run.stdout).toBe('');
  });

  it('refuses CAPILLARY_AUTH=oauth without a client key and secret (exit 2, one line each)', async () => {
    const run = await independent.oauthWithoutCredentials;
    expectExit(run, 2);
    const lines = linesOf(run.stderr);
    expect(lines.filter((line) => line.startsWith('CAPILLARY_CLIENT_KEY: '))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('CAPILLARY_CLIENT_SECRET: '))).toHaveLength(1);
    expect(lines.filter((line) => /^[A-Z_]+: /.test(line))).toHaveLength(2);
  });

  it('refuses an unknown command and an unknown option with exit 2', async () => {
    const [command, option] = await Promise.all([
      independent.unknownCommand,
      independent.unknownOption,
    ]);
    expectExit(command, 2);
    expect(command.stderr).toContain('unknown command "frobnicate"');
    expect(command.stdout).toBe('');
    expectExit(option, 2);
    expect(option.stderr).toContain('bogus');
    expect(option.stdout).toBe('');
  });
});

describe('CLI: a poll with failing customers', () => {
  it('exits 1, still publishes the others, names each failing customer and its reason; --json prints the summary on stdout', async () => {
    const run = await independent.failingPoll;
    expectExit(run, 1);

    const lines = linesOf(run.stdout);
    expect(lines).toHaveLength(1);
    const summary = JSON.parse(lines[0] ?? '') as {
      published: number;
      failures: { customerId: string; reason: string }[];
    };
    expect(publishedTo(['10', '11', '12', '13'])).toHaveLength(5);
    for (const customerId of ['10', '11']) {
      const ids = publishedTo([customerId]).map((entry) => detailOf(entry).uniqueId);
      expect(ids).toEqual(customerId === '10' ? rawIds('10', 3) : rawIds('11', 2));
    }
    expect(summary.published).toBe(5);
    expect(summary.failures.map((failure) => failure.customerId).sort()).toEqual(['12', '13']);
    const reason12 = summary.failures.find((failure) => failure.customerId === '12')?.reason;
    expect(reason12).toContain('HTTP 500');
    expect(reason12).toContain('[REDACTED]');

    expect(run.stderr).toMatch(/failed 12: .*HTTP 500/);
    expect(run.stderr).toMatch(/failed 13: .*Customer not found for given identifier/);
    expect(run.stderr).toContain('2 failed');
  });
});

describe('CLI: secrets', () => {
  it('never prints the password, its MD5 digest or the Basic header value', async () => {
    await Promise.all(Object.values(independent));
    expect(runs.length).toBeGreaterThanOrEqual(10);
    for (const run of runs) {
      const output = `${run.stdout}\n${run.stderr}`;
      expect(output, run.args.join(' ')).not.toContain(PASSWORD);
      expect(output, run.args.join(' ')).not.toContain(MD5);
      expect(output, run.args.join(' ')).not.toContain(BASIC_VALUE);
    }
  });
});

function rawIds(customerId: string, last: number): string[] {
  return Array.from({ length: last }, (_, index) => uniqueIdOf(customerId, index + 1));
}
