import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadSettings, type Settings, schedulePolicy } from '../config/settings.js';
import { newCustomerState } from '../domain/customer-state.js';
import { ConfigError, ConfigErrors, describeError, PollerError } from '../domain/errors.js';
import { newClaimOwner } from '../domain/poll-claimed.js';
import { boundedSummary, runSweep, type SweepSummary } from '../domain/run-sweep.js';
import { stalenessMs } from '../domain/schedule.js';
import { createRuntime, type Runtime } from '../runtime/create-runtime.js';
import { mapConcurrently, parseCustomerIdList } from './customer-id-list.js';
import { createJsonLogger } from './json-logger.js';
import { type Command, parseCommand, USAGE, UsageError } from './parse-command.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** Data only: published entries (stdout sink) and `--json` output. */
  stdout: Writable;
  /** Everything for people: banner, summaries, logs, errors. */
  stderr: Writable;
  /** Stops `poll` between sweeps (Ctrl-C). */
  signal?: AbortSignal;
}

export const EXIT_OK = 0;
export const EXIT_CUSTOMER_FAILED = 1;
export const EXIT_USAGE = 2;

/** Runs one CLI command and returns its exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (text: string) => io.stderr.write(`${text}\n`);
  let command: Command;
  let settings: Settings;
  try {
    command = parseCommand(argv);
    if (command.name === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    settings = loadSettings(io.env, { allowEmbedded: true });
  } catch (error) {
    if (!(error instanceof PollerError)) throw error;
    say(error.message);
    say(`(${error.reason})`);
    return EXIT_USAGE;
  }

  const logger = createJsonLogger(io.stderr, settings.logLevel, secretsOf(settings));
  let runtime: Runtime | undefined;
  try {
    runtime = await createRuntime(settings, {
      logger,
      stdout: io.stdout,
      forPolling: command.name === 'poll',
    });
    for (const line of runtime.banner) say(line);
    return await execute(command, runtime, settings, io, say);
  } catch (error) {
    say(`error: ${describeError(error)}`);
    if (error instanceof PollerError) say(`(${error.reason})`);
    const usage =
      error instanceof UsageError || error instanceof ConfigError || error instanceof ConfigErrors;
    return usage ? EXIT_USAGE : EXIT_CUSTOMER_FAILED;
  } finally {
    await runtime?.close();
  }
}

async function execute(
  command: Exclude<Command, { name: 'help' }>,
  runtime: Runtime,
  settings: Settings,
  io: CliIo,
  say: (text: string) => void,
): Promise<number> {
  const json = (value: unknown) => io.stdout.write(`${JSON.stringify(value)}\n`);
  const now = new Date();
  switch (command.name) {
    case 'init': {
      const outcome = await runtime.ensureTable();
      say(`table ${settings.table.name}: ${outcome}`);
      return EXIT_OK;
    }
    case 'watch-add': {
      const customerIds = [
        ...new Set([...command.customerIds, ...(await idsFromFile(command.file))]),
      ];
      const results = await mapConcurrently(customerIds, ADD_CONCURRENCY, async (customerId) => {
        const added = await runtime.store.addCustomer(
          newCustomerState({ customerId, scope: command.scope, backfill: command.backfill }, now),
        );
        return { customerId, added };
      });
      const mode = `${command.backfill ? 'backfill' : 'baseline'}, scope ${command.scope}`;
      if (results.length <= PER_ID_LINES) {
        for (const { customerId, added } of results) {
          say(`${customerId}: ${added ? `watching (${mode})` : 'already watched, left as it is'}`);
        }
      } else {
        const added = results.filter((result) => result.added).length;
        say(
          `${added} customer(s) now watched (${mode}); ${results.length - added} already watched, left as they were`,
        );
      }
      if (command.json) json(results);
      return EXIT_OK;
    }
    case 'watch-remove': {
      const results = [];
      for (const customerId of command.customerIds) {
        const removed = await runtime.store.removeCustomer(customerId);
        results.push({ customerId, removed });
        say(`${customerId}: ${removed ? 'no longer watched' : 'was not watched'}`);
      }
      if (command.json) json(results);
      return EXIT_OK;
    }
    case 'watch-pause':
    case 'watch-resume': {
      const status = command.name === 'watch-pause' ? 'paused' : 'active';
      const results = [];
      for (const customerId of command.customerIds) {
        const outcome = await runtime.store.setStatus(customerId, status, now.getTime());
        results.push({ customerId, outcome });
        say(`${customerId}: ${outcome}`);
      }
      if (command.json) json(results);
      return results.some((result) => result.outcome === 'not watched')
        ? EXIT_CUSTOMER_FAILED
        : EXIT_OK;
    }
    case 'watch-list':
      return listWatched(runtime, command.json, json, say);
    case 'poll':
      return poll(command, runtime, settings, io, json, say);
  }
}

async function listWatched(
  runtime: Runtime,
  asJson: boolean,
  json: (value: unknown) => void,
  say: (text: string) => void,
): Promise<number> {
  const now = Date.now();
  const rows = [];
  let unreadable = 0;
  for await (const stored of runtime.store.listWatched()) {
    if (stored.kind === 'unreadable') {
      unreadable++;
      say(`${stored.customerId}: unreadable state (${stored.reason})`);
      continue;
    }
    const { watch: state, schedule } = stored;
    const lagSeconds =
      state.lastSeenDate === null
        ? null
        : Math.round((now - Date.parse(state.lastSeenDate)) / 1000);
    const iso = (ms: number | null | undefined) =>
      ms === null || ms === undefined ? null : new Date(ms).toISOString();
    rows.push({
      customerId: state.customerId,
      scope: state.scope,
      mode: state.mode,
      status: state.status,
      lastSeenId: state.lastSeenId,
      lastSeenDate: state.lastSeenDate,
      lagSeconds,
      updatedAt: state.updatedAt,
      /** The last successful poll; `null` before the first. */
      lastPolledAt: iso(schedule?.lastPolledAt),
      /** `null` while paused, or when the customer has no schedule yet (run `init`). */
      nextPollAt: schedule && schedule.status === 'active' ? iso(schedule.nextPollAt) : null,
      stalenessSeconds:
        schedule === undefined
          ? null
          : Math.round(stalenessMs(schedule, Date.parse(state.createdAt), now) / 1000),
      lastError: schedule?.lastError ?? null,
      scheduled: schedule !== undefined,
    });
  }
  rows.sort((a, b) => a.customerId.localeCompare(b.customerId));
  if (asJson) json(rows);
  else {
    say(`${rows.length} watched customer(s)`);
    for (const row of rows) {
      const polled = row.lastPolledAt === null ? 'never polled' : `polled ${row.lastPolledAt}`;
      const fresh =
        row.stalenessSeconds === null ? '' : ` (${formatLag(row.stalenessSeconds)} stale)`;
      const next = !row.scheduled
        ? 'not scheduled: run init'
        : row.nextPollAt === null
          ? 'no next poll'
          : `next ${row.nextPollAt}`;
      say(
        `${row.customerId.padEnd(20)} ${row.status.padEnd(7)} ${row.mode.padEnd(9)} ${row.scope.padEnd(8)} last seen ${row.lastSeenDate ?? 'never'}${row.lagSeconds === null ? '' : ` (${formatLag(row.lagSeconds)} ago)`}; ${polled}${fresh}; ${next}${row.lastError === null ? '' : `; last error: ${row.lastError}`}`,
      );
    }
  }
  return unreadable > 0 ? EXIT_CUSTOMER_FAILED : EXIT_OK;
}

async function poll(
  command: { once: boolean; json: boolean },
  runtime: Runtime,
  settings: Settings,
  io: CliIo,
  json: (value: unknown) => void,
  say: (text: string) => void,
): Promise<number> {
  const deps = await runtime.pollDependencies();
  const policy = schedulePolicy(settings, runtime.defaultIntervalSeconds);
  const options = {
    concurrency: settings.poll.concurrency,
    psiMode: settings.poll.psiMode,
    seenCapacity: settings.poll.seenCapacity,
    version: runtime.version,
    policy,
    claimSeconds: settings.poll.claimSeconds,
    maxPolls: settings.poll.sweepMaxPolls,
    requestsPerSecond: settings.capillary.requestsPerSecond,
    owner: newClaimOwner('cli'),
  };
  let exitCode = EXIT_OK;
  while (true) {
    const summary = await runSweep(deps, options);
    exitCode = summary.failures.length > 0 ? EXIT_CUSTOMER_FAILED : EXIT_OK;
    if (command.json) json(summary);
    say(describeSummary(summary));
    if (command.once || io.signal?.aborted) return exitCode;
    try {
      const nextDueAt = await runtime.store.nextDueAt();
      await sleep(
        wakeDelayMs(nextDueAt, Date.now(), policy.minIntervalMs, summary.claimed),
        undefined,
        {
          signal: io.signal,
        },
      );
    } catch {
      return exitCode;
    }
  }
}

/**
 * How long `poll` sleeps before its next sweep: until the next customer is due, at most one
 * shortest interval (a customer added meanwhile is due at once). Customers still due (the sweep's
 * budget ran out) get a short pause only; a sweep that could claim nothing while customers look
 * due (other pollers hold them) waits a second, so it never spins.
 */
export function wakeDelayMs(
  nextDueAt: number | undefined,
  now: number,
  intervalMs: number,
  claimed: number,
): number {
  const untilDue = nextDueAt === undefined ? intervalMs : nextDueAt - now;
  const floor = claimed > 0 ? 50 : 1_000;
  return Math.min(intervalMs, Math.max(floor, untilDue));
}

/** Watchlist writes in flight at once when adding many customers. */
const ADD_CONCURRENCY = 16;
/** Up to this many ids, `watch add` says what happened to each; beyond, it counts. */
const PER_ID_LINES = 20;

async function idsFromFile(file: string | undefined): Promise<string[]> {
  if (file === undefined) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError([`--file ${file}: cannot be read (${describeError(error)})`]);
  }
  return parseCustomerIdList(text, file);
}

/** Failures listed one per line in the human summary; the rest are counted. */
const SUMMARY_FAILURES_SHOWN = 20;

/** The human summary of one sweep. */
export function describeSummary(summary: SweepSummary): string {
  const parts = [
    `${summary.polled} customer(s) polled`,
    `${summary.newEvents} new event(s)`,
    `${summary.published} published`,
  ];
  if (summary.parked > 0) parts.push(`${summary.parked} parked in the dead-letter queue`);
  if (summary.baselined > 0) parts.push(`${summary.baselined} baselined`);
  if (summary.deferred > 0) parts.push(`${summary.deferred} still due, left to the next sweep`);
  if (summary.overdue > 0) parts.push(`${summary.overdue} overdue`);
  if (summary.coverageGaps > 0) parts.push(`${summary.coverageGaps} coverage gap(s)`);
  if (summary.claimsLost > 0) parts.push(`${summary.claimsLost} claim(s) lost`);
  if (summary.conflicts > 0) parts.push(`${summary.conflicts} lost a race`);
  parts.push(`${summary.failures.length} failed`);
  const lines = [`sweep: ${parts.join(', ')} in ${summary.durationMs} ms`];
  const shown = boundedSummary(summary, SUMMARY_FAILURES_SHOWN);
  for (const failure of shown.failures)
    lines.push(`  failed ${failure.customerId}: ${failure.reason}`);
  const hidden = shown.failureCount - shown.failures.length;
  if (hidden > 0) lines.push(`  … and ${hidden} more (all of them with --json)`);
  return lines.join('\n');
}

function formatLag(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

function secretsOf(settings: Settings): string[] {
  const credentials = settings.capillary.credentials;
  if (!credentials) return [];
  return credentials.kind === 'basic' ? [credentials.password] : [credentials.clientSecret];
}
