/* The scale benchmark's figures per mode, and how they are printed. */
import { DYNAMODB_PRICES, type DynamoDbCost } from './dynamodb-cost.js';
import type { Goal } from './scale-goals.js';
import { quantile, type StrategyRun } from './strategy-run.js';

export const round = (value: number, digits = 1) => Number(value.toFixed(digits));

/** One mode at one org rate. */
export interface ModeReport {
  mode: string;
  orgEventsPerSecond: number;
  activeP95DelaySeconds: number;
  p95DelaySeconds: number;
  p50DelaySeconds: number;
  scrolledOut: number;
  maxStalenessSeconds: number;
  /** The bound the mode promises: the backstop, MAX_POLL_INTERVAL_SECONDS, or a round robin cycle. */
  stalenessBoundSeconds: number;
  feedShareOfQuota: number;
  hintShareOfQuota: number;
  quotaUse: number;
  dynamodbDollarsPerMonth: number;
  events: number;
  published: number;
  unpublishedAtEnd: number;
  polls: number;
  pollsFindingEvents: number;
  dynamodb: DynamoDbCost;
  feed?: Record<string, number>;
}

export function strategyReport(
  mode: string,
  rate: number,
  run: StrategyRun,
  dynamodb: DynamoDbCost,
  quota: { slots: number; feedRequests: number; lanePolls: number; stalenessBoundSeconds: number },
): ModeReport {
  return {
    mode,
    orgEventsPerSecond: rate,
    activeP95DelaySeconds: round(quantile(run.activeDelays, 0.95)),
    p95DelaySeconds: round(quantile(run.delays, 0.95)),
    p50DelaySeconds: round(quantile(run.delays, 0.5)),
    scrolledOut: run.scrolledOut,
    maxStalenessSeconds: round(run.maxStalenessMs / 1000, 0),
    stalenessBoundSeconds: quota.stalenessBoundSeconds,
    feedShareOfQuota: round(quota.feedRequests / quota.slots, 3),
    hintShareOfQuota: round(quota.lanePolls / quota.slots, 3),
    quotaUse: round((run.polls + quota.feedRequests) / quota.slots, 3),
    dynamodbDollarsPerMonth: round(dynamodb.onDemandDollarsPerMonth, 2),
    events: run.events,
    published: run.published,
    unpublishedAtEnd: run.unpublished,
    polls: run.polls,
    pollsFindingEvents: run.activePolls,
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

function modeRow(report: ModeReport) {
  return {
    'events/s': report.orgEventsPerSecond,
    mode: report.mode,
    activeP95DelaySeconds: report.activeP95DelaySeconds,
    p95DelaySeconds: report.p95DelaySeconds,
    scrolledOut: report.scrolledOut,
    events: report.events,
    maxStalenessSeconds: report.maxStalenessSeconds,
    bound: report.stalenessBoundSeconds,
    feedShareOfQuota: report.feedShareOfQuota,
    hintShareOfQuota: report.hintShareOfQuota,
    quotaUse: report.quotaUse,
    dynamodbDollarsPerMonth: report.dynamodbDollarsPerMonth,
  };
}

export function printScale(
  result: {
    scenario: { customers: number; requestsPerMinute: number; maxPollIntervalSeconds: number };
    assumptions: readonly string[];
    modes: ModeReport[];
    goals: Goal[];
    backstopSensitivity: ModeReport[];
    runSeconds: number;
  },
  costed: ModeReport,
): void {
  const { scenario } = result;
  console.log(
    `\nScale: ${scenario.customers.toLocaleString()} watched customers, 24 simulated hours, ${scenario.requestsPerMinute} requests/minute, windows of 50 events`,
  );
  console.log(
    `   change feed: the feed, the hint lane and a backstop (CHANGE_FEED_BACKSTOP_SECONDS) through the project's own code; schedule only: MAX_POLL_INTERVAL_SECONDS=${scenario.maxPollIntervalSeconds}; round robin at the full quota`,
  );
  for (const assumption of result.assumptions) console.log(`   assumed: ${assumption}`);
  console.table(result.modes.map(modeRow));
  console.log('   The change feed, per org rate');
  console.table(
    result.modes
      .filter((report) => report.feed !== undefined)
      .map((report) => ({ 'events/s': report.orgEventsPerSecond, ...report.feed })),
  );
  console.log(
    `   DynamoDB units a day (${costed.mode}, ${costed.orgEventsPerSecond} events/s): ${costed.dynamodb.readUnitsPerDay.toLocaleString()} read, ${costed.dynamodb.writeUnitsPerDay.toLocaleString()} write`,
  );
  console.table(
    Object.entries(costed.dynamodb.breakdown).map(([operation, units]) => ({
      operation,
      ...units,
    })),
  );
  console.log(
    `   priced at $${DYNAMODB_PRICES.onDemandUsdPerMillionWriteUnits}/M WRU, $${DYNAMODB_PRICES.onDemandUsdPerMillionReadUnits}/M RRU on demand; $${DYNAMODB_PRICES.storageUsdPerGbMonth}/GB-month (${DYNAMODB_PRICES.asOf})`,
  );
  console.log('\n   Goals');
  for (const goal of result.goals) {
    console.log(`   ${goal.met ? 'met   ' : 'MISSED'} ${goal.goal}: ${goal.detail}`);
  }
  console.log(`\n   CHANGE_FEED_BACKSTOP_SECONDS at ${costed.orgEventsPerSecond} org events/s`);
  console.table(
    result.backstopSensitivity.map((report) => ({
      backstopSeconds: report.stalenessBoundSeconds,
      maxStalenessSeconds: report.maxStalenessSeconds,
      activeP95DelaySeconds: report.activeP95DelaySeconds,
      p95DelaySeconds: report.p95DelaySeconds,
      feedShareOfQuota: report.feedShareOfQuota,
      hintShareOfQuota: report.hintShareOfQuota,
      quotaUse: report.quotaUse,
      dynamodbDollarsPerMonth: report.dynamodbDollarsPerMonth,
    })),
  );
  console.log(`   (${result.runSeconds} s)`);
}
