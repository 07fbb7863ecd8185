/*
 * `npm run bench -- scale [--json] [--save]`: 100,000 watched customers over 24 simulated hours
 * under a quota of 1,000 requests a minute, at org event rates of 1, 5 and 20 a second. At each
 * rate the change feed (the feed's, the priority lane's and the schedule's own code, with a slow
 * backstop), the schedule alone and plain round robin poll the same events. See
 * bench/feed-simulation.ts and bench/scale-simulation.ts for the model. `--save` writes the result
 * to bench/scale-result.json, from which `npm run schema` writes docs/scale.md's table and the
 * figures the README and docs/scale.md state.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { DUE_SHARDS } from '../src/adapters/dynamodb/due-index.js';
import { NUMBER_RULES } from '../src/config/setting-schemas.js';
import { cursorItemBytesBySeenSize, feedCursorItemBytes } from './cursor-item-size.js';
import { fleetDynamoDbCost } from './dynamodb-cost.js';
import { DEFAULT_HINT_SHARE, defaultChangeFeedSettings, runFeedMode } from './feed-simulation.js';
import {
  type FleetEvents,
  generateFleetEvents,
  REALISTIC_MIX,
  scaledMix,
  seededRandom,
} from './fleet-activity.js';
import { buildOrgEventLog, type OrgEventLog } from './org-event-log.js';
import { GOAL_RATE, SCALE_RESULT_PATH, scaleGoals } from './scale-goals.js';
import { type ModeReport, printScale, round, strategyReport } from './scale-report.js';
import { simulateFleet } from './scale-simulation.js';
import type { FleetScenario } from './strategy-run.js';

const HOUR = 3_600_000;
const CUSTOMERS = 100_000;
const REQUESTS_PER_MINUTE = 1_000;
/** The schedule-only bound, sized as today: customers / rate × 1.2, rounded up to 10 minutes. */
const MAX_POLL_INTERVAL_SECONDS =
  Math.ceil((1.2 * CUSTOMERS) / (REQUESTS_PER_MINUTE / 60) / 600) * 600;
/** `CHANGE_FEED_BACKSTOP_SECONDS`'s default: the idle bound of a customer the feed knows. */
const CHANGE_FEED_BACKSTOP_SECONDS: number = NUMBER_RULES.CHANGE_FEED_BACKSTOP_SECONDS.default;
const BACKSTOP_SENSITIVITY_SECONDS = [7_200, 21_600, 86_400];
const ORG_EVENTS_PER_SECOND = [1, 5, 20];
/** Half the org's events are watched customers'; the rest belong to customers nobody watches. */
const WATCHED_SHARE = 0.5;
/** 50 is what the sandbox serves (the reference only says "a bounded window"). */
const WINDOW_SIZE = 50;
/** `SEEN_CAPACITY`'s default. */
const SEEN_CAPACITY = 200;
const SEED = 20_261_126;
const LOG = { maxLagMs: 10_000, duplicateShare: 0.005, notStoredShare: 0.02 };

const ASSUMPTIONS = [
  "Every watched customer's identifier is known (given on `watch add`): every watched record resolves.",
  `${WATCHED_SHARE * 100}% of the org's events are watched customers'; the rest name customers nobody watches (unmatched), drawn from a million.`,
  `Records appear 0-${LOG.maxLagMs / 1000} s after their startTime; ${LOG.duplicateShare * 100}% are served twice, ${LOG.notStoredShare * 100}% more are not-stored records.`,
  'Every log request takes a quota slot; a feed read takes the slots after its start.',
];

function scenarioFor(maxIntervalSeconds: number): FleetScenario {
  return {
    customers: CUSTOMERS,
    hours: 24,
    warmupHours: 4,
    drainHours: 4,
    requestsPerMinute: REQUESTS_PER_MINUTE,
    windowSize: WINDOW_SIZE,
    policy: { minIntervalMs: 60_000, maxIntervalMs: maxIntervalSeconds * 1000 },
    fetchLatencyMs: 50,
    publishLatencyMs: 30,
  };
}

const BASE = scenarioFor(MAX_POLL_INTERVAL_SECONDS);
const SPAN = {
  fromMs: -(BASE.warmupHours + 2) * HOUR,
  toMs: (BASE.hours + BASE.drainHours) * HOUR,
};

function eventsInMeasuredDay(events: FleetEvents): number {
  let count = 0;
  for (const at of events.times) if (at >= 0 && at < 24 * HOUR) count++;
  return count;
}

/** `REALISTIC_MIX`'s sessions, as many as make the watched customers' share of `rate`. */
function eventsAtRate(rate: number, unscaledPerDay: number): FleetEvents {
  const factor = (WATCHED_SHARE * rate * 86_400) / unscaledPerDay;
  return generateFleetEvents({
    customers: CUSTOMERS,
    ...SPAN,
    mix: scaledMix(REALISTIC_MIX, factor),
    seed: SEED,
  });
}

const cursorItemBytes = cursorItemBytesBySeenSize(SEEN_CAPACITY);
const costBase = {
  days: BASE.hours / 24,
  customers: CUSTOMERS,
  cursorItemBytes,
  dueQueriesPerDay: DUE_SHARDS * 1440,
  quotaWritesPerDay: 86_400,
};

async function feedMode(
  rate: number,
  events: FleetEvents,
  log: OrgEventLog,
  backstopSeconds: number,
): Promise<ModeReport> {
  const scenario = scenarioFor(backstopSeconds);
  const run = await runFeedMode(events, log, scenario, {
    feed: defaultChangeFeedSettings(REQUESTS_PER_MINUTE),
    hintShare: DEFAULT_HINT_SHARE,
    feedCursorItemBytes: (cursor) => feedCursorItemBytes(cursor.recent.length),
    seenCapacity: SEEN_CAPACITY,
    random: seededRandom(SEED + 1),
  });
  const dynamodb = fleetDynamoDbCost({ ...costBase, run, layout: 'schedule', feed: run });
  const slots = REQUESTS_PER_MINUTE * 60 * scenario.hours;
  return {
    ...strategyReport(`change feed (backstop ${backstopSeconds} s)`, rate, run, dynamodb, {
      stalenessBoundSeconds: backstopSeconds,
      slots,
      feedRequests: run.feedRequests,
      lanePolls: run.lanePolls,
    }),
    feed: {
      reads: run.feedReads,
      requests: run.feedRequests,
      maxRequestsPerRead: defaultChangeFeedSettings(REQUESTS_PER_MINUTE).maxRequests,
      recordsRead: run.feedRecords,
      unmatchedRecords: run.unmatchedRecords,
      saturatedSlices: run.saturatedSlices,
      maxLagSeconds: round(run.maxFeedLagMs / 1000, 0),
      hintsMarked: run.hintsMarked,
      hintsDropped: run.hintsDropped,
      lanePolls: run.lanePolls,
      walkedPolls: run.walkedPolls,
      maxLanePollsInATick: run.maxLanePollsInATick,
      identifierLookups: run.identifierLookups,
    },
  };
}

function withoutFeed(rate: number, events: FleetEvents): ModeReport[] {
  const run = simulateFleet(events, BASE, {
    seenCapacity: SEEN_CAPACITY,
    random: seededRandom(SEED + 1),
  });
  const slots = REQUESTS_PER_MINUTE * 60 * BASE.hours;
  const none = { slots, feedRequests: 0, lanePolls: 0 };
  return [
    strategyReport(
      'schedule only',
      rate,
      run.schedule,
      fleetDynamoDbCost({ ...costBase, run: run.schedule, layout: 'schedule' }),
      { ...none, stalenessBoundSeconds: MAX_POLL_INTERVAL_SECONDS },
    ),
    strategyReport(
      'round robin',
      rate,
      run.roundRobin,
      fleetDynamoDbCost({ ...costBase, run: run.roundRobin, layout: 'round-robin' }),
      { ...none, stalenessBoundSeconds: (CUSTOMERS * 60) / REQUESTS_PER_MINUTE },
    ),
  ];
}

interface RateReports {
  modes: ModeReport[];
  /** The backstop sensitivity, at the goals' rate only. */
  sensitivity: ModeReport[];
}

/** The three modes at one org rate, from the same events. */
async function reportsAtRate(rate: number, unscaledPerDay: number): Promise<RateReports> {
  const events = eventsAtRate(rate, unscaledPerDay);
  const log = buildOrgEventLog(events, {
    ...SPAN,
    unwatchedPerSecond: (1 - WATCHED_SHARE) * rate,
    ...LOG,
    seed: SEED + 2,
  });
  const fed = await feedMode(rate, events, log, CHANGE_FEED_BACKSTOP_SECONDS);
  const modes = [fed, ...withoutFeed(rate, events)];
  const sensitivity: ModeReport[] = [];
  if (rate === GOAL_RATE) {
    for (const backstop of BACKSTOP_SENSITIVITY_SECONDS) {
      sensitivity.push(
        backstop === CHANGE_FEED_BACKSTOP_SECONDS
          ? fed
          : await feedMode(rate, events, log, backstop),
      );
    }
  }
  return { modes, sensitivity };
}

/** `reportsAtRate` in a worker thread running this very module (each rate is seeded on its own). */
function reportsInWorker(rate: number, unscaledPerDay: number): Promise<RateReports> {
  return new Promise((resolve, reject) => {
    // The worker loads this TypeScript module again: tsx's loader first (execArgv does not carry it).
    const load = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(load, {
      eval: true,
      workerData: { scaleRate: rate, unscaledPerDay },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the scale worker (${rate} events/s) exited with ${code}`));
    });
  });
}

if (!isMainThread && workerData?.scaleRate !== undefined) {
  const { scaleRate, unscaledPerDay } = workerData as { scaleRate: number; unscaledPerDay: number };
  parentPort?.postMessage(await reportsAtRate(scaleRate, unscaledPerDay));
}

export async function runScaleBench(options: { json: boolean; save: boolean }): Promise<void> {
  const started = performance.now();
  const unscaledPerDay = eventsInMeasuredDay(
    generateFleetEvents({ customers: CUSTOMERS, ...SPAN, mix: REALISTIC_MIX, seed: SEED }),
  );
  // The busiest rate (half the run's time) in a worker thread, the others meanwhile.
  const busiest = Math.max(...ORG_EVENTS_PER_SECOND);
  const others = ORG_EVENTS_PER_SECOND.filter((rate) => rate !== busiest);
  const inWorker = reportsInWorker(busiest, unscaledPerDay);
  const byRate: RateReports[] = [];
  for (const rate of others) byRate.push(await reportsAtRate(rate, unscaledPerDay));
  byRate.push(await inWorker);
  const modes = byRate.flatMap((reports) => reports.modes);
  const sensitivity = byRate.flatMap((reports) => reports.sensitivity);
  const fedAt = (rate: number) =>
    modes.find((m) => m.orgEventsPerSecond === rate && m.feed !== undefined) as ModeReport;
  const result = {
    scenario: {
      customers: CUSTOMERS,
      simulatedHours: BASE.hours,
      requestsPerMinute: REQUESTS_PER_MINUTE,
      orgEventsPerSecond: ORG_EVENTS_PER_SECOND,
      watchedShareOfOrgEvents: WATCHED_SHARE,
      windowSize: WINDOW_SIZE,
      pollIntervalSeconds: 60,
      maxPollIntervalSeconds: MAX_POLL_INTERVAL_SECONDS,
      changeFeedBackstopSeconds: CHANGE_FEED_BACKSTOP_SECONDS,
      hintShare: DEFAULT_HINT_SHARE,
      changeFeed: defaultChangeFeedSettings(REQUESTS_PER_MINUTE),
      eventLog: LOG,
      activityMix: REALISTIC_MIX,
      seed: SEED,
    },
    assumptions: ASSUMPTIONS,
    modes,
    goals: scaleGoals(fedAt(GOAL_RATE), fedAt(Math.max(...ORG_EVENTS_PER_SECOND))),
    backstopSensitivity: sensitivity,
    runSeconds: round((performance.now() - started) / 1000),
  };
  if (options.save) {
    const file = new URL(`../${SCALE_RESULT_PATH}`, import.meta.url);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.error(
      `wrote ${SCALE_RESULT_PATH}: \`npm run schema\` writes the docs' figures from it`,
    );
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  printScale(result, fedAt(GOAL_RATE));
}
