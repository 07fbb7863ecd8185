/*
 * `npm run bench -- scale [--json]`: 100,000 watched customers over 24 simulated hours under a
 * quota of 1,000 requests a minute, polled by the poller's schedule and by plain round robin
 * against the same events. See bench/scale-simulation.ts for the model.
 */
import { DUE_SHARDS } from '../src/adapters/dynamodb/due-index.js';
import { cursorItemBytesBySeenSize } from './cursor-item-size.js';
import { DYNAMODB_PRICES, type DynamoDbCost, fleetDynamoDbCost } from './dynamodb-cost.js';
import {
  type ActivityMix,
  generateFleetEvents,
  REALISTIC_MIX,
  seededRandom,
} from './fleet-activity.js';
import { simulateFleet } from './scale-simulation.js';
import { type FleetScenario, quantile, type StrategyRun } from './strategy-run.js';

const HOUR = 3_600_000;
const POLL_INTERVAL_SECONDS = 60;
/** The poller's default staleness bound. */
const DEFAULT_MAX_POLL_INTERVAL_SECONDS = 3_600;
const CUSTOMERS = 100_000;
const REQUESTS_PER_MINUTE = 1_000;
/**
 * The staleness bound sized for the fleet: idle customers alone need customers / rate seconds
 * for one round (6,000 s here); 20% on top leaves room for the polls of active customers.
 */
const SIZED_MAX_POLL_INTERVAL_SECONDS =
  Math.ceil((1.2 * CUSTOMERS) / (REQUESTS_PER_MINUTE / 60) / 600) * 600;
/**
 * Capillary's documentation gives no window size ("a bounded window of the most recent
 * events"); 50 is what the sandbox serves and what the coverage-gap test uses.
 */
const WINDOW_SIZE = 50;
/** `SEEN_CAPACITY`'s default. */
const SEEN_CAPACITY = 200;
const SEED = 20_261_126;

/** Sessions of a few minutes to hours (median 15 minutes), an event every 45 s on average. */
const MIX: ActivityMix = REALISTIC_MIX;

interface StrategyReport {
  quotaUse: number;
  p50DelaySeconds: number;
  p95DelaySeconds: number;
  p99DelaySeconds: number;
  activeP95DelaySeconds: number;
  /** Events whose customer's activity the poller had seen in the hour before (what tiers act on). */
  detectedActiveP95DelaySeconds: number;
  maxStalenessSeconds: number;
  scrolledOut: number;
  coverageGaps: number;
  events: number;
  published: number;
  unpublishedAtEnd: number;
  polls: number;
  pollsFindingEvents: number;
  dynamodbDollarsPerMonth: number;
  dynamodbProvisionedDollarsPerMonth: number;
  dynamodb: DynamoDbCost;
}

function scenarioFor(maxIntervalSeconds: number): FleetScenario {
  return {
    customers: CUSTOMERS,
    hours: 24,
    warmupHours: 4,
    drainHours: 4,
    requestsPerMinute: REQUESTS_PER_MINUTE,
    windowSize: WINDOW_SIZE,
    policy: {
      minIntervalMs: POLL_INTERVAL_SECONDS * 1000,
      maxIntervalMs: maxIntervalSeconds * 1000,
    },
    fetchLatencyMs: 50,
    publishLatencyMs: 30,
  };
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

function report(
  run: StrategyRun,
  scenario: FleetScenario,
  layout: 'schedule' | 'round-robin',
  cursorItemBytes: Int32Array,
): StrategyReport {
  const days = scenario.hours / 24;
  const dynamodb = fleetDynamoDbCost({
    run,
    days,
    customers: scenario.customers,
    cursorItemBytes,
    layout,
    dueQueriesPerDay: DUE_SHARDS * 1440,
    quotaWritesPerDay: 86_400,
  });
  return {
    quotaUse: round(run.polls / (scenario.requestsPerMinute * 60 * scenario.hours), 3),
    p50DelaySeconds: round(quantile(run.delays, 0.5)),
    p95DelaySeconds: round(quantile(run.delays, 0.95)),
    p99DelaySeconds: round(quantile(run.delays, 0.99)),
    activeP95DelaySeconds: round(quantile(run.activeDelays, 0.95)),
    detectedActiveP95DelaySeconds: round(quantile(run.detectedActiveDelays, 0.95)),
    maxStalenessSeconds: round(run.maxStalenessMs / 1000, 0),
    scrolledOut: run.scrolledOut,
    coverageGaps: run.coverageGaps,
    events: run.events,
    published: run.published,
    unpublishedAtEnd: run.unpublished,
    polls: run.polls,
    pollsFindingEvents: run.activePolls,
    dynamodbDollarsPerMonth: round(dynamodb.onDemandDollarsPerMonth, 2),
    dynamodbProvisionedDollarsPerMonth: round(dynamodb.provisionedDollarsPerMonth, 2),
    dynamodb: {
      ...dynamodb,
      readUnitsPerDay: Math.round(dynamodb.readUnitsPerDay),
      writeUnitsPerDay: Math.round(dynamodb.writeUnitsPerDay),
      storageGb: round(dynamodb.storageGb, 3),
      onDemandDollarsPerMonth: round(dynamodb.onDemandDollarsPerMonth, 2),
      provisionedDollarsPerMonth: round(dynamodb.provisionedDollarsPerMonth, 2),
      breakdown: Object.fromEntries(
        Object.entries(dynamodb.breakdown).map(([name, units]) => [
          name,
          { readUnits: Math.round(units.readUnits), writeUnits: Math.round(units.writeUnits) },
        ]),
      ),
    },
  };
}

interface Goal {
  goal: string;
  met: boolean;
  detail: string;
}

function goals(ours: StrategyReport, baseline: StrategyReport): Goal[] {
  const times = (a: number, b: number) => `${(a / b).toFixed(2)}x round robin's`;
  return [
    {
      goal: 'quotaUse >= 0.95',
      met: ours.quotaUse >= 0.95,
      detail: `${ours.quotaUse}`,
    },
    {
      goal: `activeP95DelaySeconds <= 2 x POLL_INTERVAL_SECONDS (${2 * POLL_INTERVAL_SECONDS} s)`,
      met: ours.activeP95DelaySeconds <= 2 * POLL_INTERVAL_SECONDS,
      detail:
        `${ours.activeP95DelaySeconds} s; ${ours.detectedActiveP95DelaySeconds} s once a poll has ` +
        'seen the customer active. The events of a session that come before the first poll of ' +
        'a dormant customer sees it wait out its idle interval, up to MAX_POLL_INTERVAL_SECONDS ' +
        '(>= customers / rate = 6,000 s here); they count as "active" too.',
    },
    {
      goal: 'p95DelaySeconds well below round robin',
      met: ours.p95DelaySeconds <= 0.5 * baseline.p95DelaySeconds,
      detail: `${ours.p95DelaySeconds} s vs ${baseline.p95DelaySeconds} s (${times(ours.p95DelaySeconds, baseline.p95DelaySeconds)}); p50 ${ours.p50DelaySeconds} s vs ${baseline.p50DelaySeconds} s (${times(ours.p50DelaySeconds, baseline.p50DelaySeconds)})`,
    },
    {
      goal: 'scrolledOut well below round robin',
      met: ours.scrolledOut <= 0.5 * baseline.scrolledOut,
      detail: `${ours.scrolledOut} vs ${baseline.scrolledOut} (${times(ours.scrolledOut, baseline.scrolledOut)})`,
    },
    {
      goal: 'DynamoDB <= $30/month at 100,000 customers',
      met: ours.dynamodbDollarsPerMonth <= 30,
      detail: `$${ours.dynamodbDollarsPerMonth} on demand, $${ours.dynamodbProvisionedDollarsPerMonth} provisioned`,
    },
  ];
}

export async function runScaleBench(options: { json: boolean }): Promise<void> {
  const started = performance.now();
  const base = scenarioFor(SIZED_MAX_POLL_INTERVAL_SECONDS);
  const events = generateFleetEvents({
    customers: base.customers,
    fromMs: -(base.warmupHours + 2) * HOUR,
    toMs: (base.hours + base.drainHours) * HOUR,
    mix: MIX,
    seed: SEED,
  });
  const cursorItemBytes = cursorItemBytesBySeenSize(SEEN_CAPACITY);
  const run = simulateFleet(events, base, {
    seenCapacity: SEEN_CAPACITY,
    random: seededRandom(SEED + 1),
  });
  const ours = report(run.schedule, base, 'schedule', cursorItemBytes);
  const baseline = report(run.roundRobin, base, 'round-robin', cursorItemBytes);

  // The same fleet with other staleness bounds: what sizing MAX_POLL_INTERVAL_SECONDS does.
  const sensitivity = [];
  for (const maxInterval of [
    DEFAULT_MAX_POLL_INTERVAL_SECONDS,
    SIZED_MAX_POLL_INTERVAL_SECONDS,
    3 * 3600,
  ]) {
    const scenario = scenarioFor(maxInterval);
    const other =
      maxInterval === SIZED_MAX_POLL_INTERVAL_SECONDS
        ? ours
        : report(
            simulateFleet(events, scenario, {
              seenCapacity: SEEN_CAPACITY,
              random: seededRandom(SEED + 1),
            }).schedule,
            scenario,
            'schedule',
            cursorItemBytes,
          );
    sensitivity.push({
      maxPollIntervalSeconds: maxInterval,
      quotaUse: other.quotaUse,
      p50DelaySeconds: other.p50DelaySeconds,
      p95DelaySeconds: other.p95DelaySeconds,
      activeP95DelaySeconds: other.activeP95DelaySeconds,
      detectedActiveP95DelaySeconds: other.detectedActiveP95DelaySeconds,
      maxStalenessSeconds: other.maxStalenessSeconds,
      scrolledOut: other.scrolledOut,
    });
  }

  const result = {
    scenario: {
      customers: CUSTOMERS,
      simulatedHours: base.hours,
      requestsPerMinute: REQUESTS_PER_MINUTE,
      windowSize: WINDOW_SIZE,
      pollIntervalSeconds: POLL_INTERVAL_SECONDS,
      maxPollIntervalSeconds: SIZED_MAX_POLL_INTERVAL_SECONDS,
      activityMix: MIX,
      fetchLatencyMs: base.fetchLatencyMs,
      dueIndexShards: DUE_SHARDS,
      seenCapacity: SEEN_CAPACITY,
      seed: SEED,
      prices: DYNAMODB_PRICES,
    },
    ...ours,
    baseline,
    goals: goals(ours, baseline),
    sensitivity,
    runSeconds: round((performance.now() - started) / 1000),
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  printHuman(result, ours, baseline);
}

function printHuman(
  result: {
    goals: Goal[];
    sensitivity: Record<string, number>[];
    runSeconds: number;
  },
  ours: StrategyReport,
  baseline: StrategyReport,
): void {
  console.log(
    `\nScale: ${CUSTOMERS.toLocaleString()} watched customers, 24 simulated hours, ${REQUESTS_PER_MINUTE} requests/minute, window of ${WINDOW_SIZE} events`,
  );
  console.log(
    `   schedule: POLL_INTERVAL_SECONDS=${POLL_INTERVAL_SECONDS}, MAX_POLL_INTERVAL_SECONDS=${SIZED_MAX_POLL_INTERVAL_SECONDS}; baseline: round robin at the full quota`,
  );
  const fields: (keyof StrategyReport)[] = [
    'quotaUse',
    'p50DelaySeconds',
    'p95DelaySeconds',
    'p99DelaySeconds',
    'activeP95DelaySeconds',
    'detectedActiveP95DelaySeconds',
    'maxStalenessSeconds',
    'events',
    'scrolledOut',
    'coverageGaps',
    'polls',
    'pollsFindingEvents',
    'dynamodbDollarsPerMonth',
    'dynamodbProvisionedDollarsPerMonth',
  ];
  console.table(
    fields.map((field) => ({
      figure: field,
      schedule: ours[field] as number,
      'round robin': baseline[field] as number,
    })),
  );
  console.log(
    `   DynamoDB units a day (schedule): ${ours.dynamodb.readUnitsPerDay.toLocaleString()} read, ${ours.dynamodb.writeUnitsPerDay.toLocaleString()} write`,
  );
  console.table(
    Object.entries(ours.dynamodb.breakdown).map(([operation, units]) => ({ operation, ...units })),
  );
  console.log(
    `   priced at $${DYNAMODB_PRICES.onDemandUsdPerMillionWriteUnits}/M WRU, $${DYNAMODB_PRICES.onDemandUsdPerMillionReadUnits}/M RRU on demand; $${DYNAMODB_PRICES.provisionedUsdPerWcuHour}/WCU-h, $${DYNAMODB_PRICES.provisionedUsdPerRcuHour}/RCU-h provisioned at 70% use; $${DYNAMODB_PRICES.storageUsdPerGbMonth}/GB-month (${DYNAMODB_PRICES.asOf})`,
  );
  console.log('\n   Goals');
  for (const goal of result.goals) {
    console.log(`   ${goal.met ? 'met   ' : 'MISSED'} ${goal.goal}: ${goal.detail}`);
  }
  console.log('\n   The same fleet with other MAX_POLL_INTERVAL_SECONDS');
  console.table(result.sensitivity);
  console.log(`   (${result.runSeconds} s)`);
}
