/*
 * DynamoDB read and write units of a simulated day, counted operation by operation from the
 * table layout (SPEC.md, "Table layout"), and priced on demand and as provisioned capacity.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { dynamoItemSize } from '../src/adapters/dynamodb/dynamodb-item-size.js';
import type { StrategyRun } from './strategy-run.js';

/** us-east-1 prices, DynamoDB Standard table class, as published after the November 2024 cut. */
export const DYNAMODB_PRICES = {
  asOf: '2025-07 (us-east-1, Standard table class; on-demand as cut in November 2024)',
  onDemandUsdPerMillionWriteUnits: 0.625,
  onDemandUsdPerMillionReadUnits: 0.125,
  provisionedUsdPerWcuHour: 0.00065,
  provisionedUsdPerRcuHour: 0.00013,
  storageUsdPerGbMonth: 0.25,
} as const;

const HOURS_PER_MONTH = 730;
const DAYS_PER_MONTH = 30;
/** Provisioned capacity is sized so that auto scaling's default 70% target holds on average. */
const AUTO_SCALING_TARGET = 0.7;
/** DynamoDB adds 100 bytes to every item in storage and every index entry. */
const ITEM_OVERHEAD_BYTES = 100;

const AT = '2026-11-26T13:00:00.000Z';
const EPOCH_MS = 1764160000000;
const A_UUID = '0b6f3a52-5d5e-4b5f-9a57-6f1d3c1e2a4b';
/** What a schedule item and a watch entry of the pre-schedule layout both hold. */
const WATCH_STATE = {
  scope: 'default',
  mode: 'tracking',
  status: 'active',
  windowDigest: 'a'.repeat(64),
  createdAt: AT,
};

/** A KEYS_ONLY `due` index entry: the table key and the index key. */
const DUE_INDEX_ENTRY_BYTES = dynamoItemSize(
  marshall({ customerId: 'schedule#564590100', dueShard: '3', nextPollAt: EPOCH_MS }),
);
/** A schedule item while claimed, with a failure recorded: its largest ordinary shape. */
const SCHEDULE_ITEM_BYTES = dynamoItemSize(
  marshall({
    ...WATCH_STATE,
    customerId: 'schedule#564590100',
    dueShard: '7',
    idlePolls: 7,
    nextPollAt: EPOCH_MS,
    lastPolledAt: EPOCH_MS,
    lastFailedAt: EPOCH_MS,
    lastError: 'CapillaryHttpError: HTTP 503 from Capillary after 4 attempts',
    claimOwner: A_UUID,
    claimedUntil: EPOCH_MS + 120_000,
  }),
);
/** A watchlist-index entry of the pre-schedule layout: the watch entry without the seen set. */
const WATCHLIST_ENTRY_BYTES = dynamoItemSize(
  marshall({
    ...WATCH_STATE,
    customerId: '564590100',
    lastSeenId: A_UUID,
    lastSeenDate: AT,
    version: 1234,
    updatedAt: AT,
  }),
);

/** An identifier item (`ident#<hmac>`): what the feed's index lookups read. */
const IDENTIFIER_ITEM_BYTES = dynamoItemSize(
  marshall({
    customerId: `ident#${'a'.repeat(64)}`,
    watchedCustomerId: '564590100',
    learnedAt: EPOCH_MS,
  }),
);

/** What the change feed did in the measured span (feed modes only). */
interface FeedActivity {
  /** Hints that moved a customer into the lane (dropped ones write nothing). */
  hintsMarked: number;
  /** Polls of hinted customers, and of customers the backstop walk claimed off the due index. */
  lanePolls: number;
  walkedPolls: number;
  /** How long one pass of the walk takes. */
  walkPassMs: number;
  /** Billed bytes of the feed cursor item at each load and each save (one of each a read). */
  feedCursorLoadBytes: readonly number[];
  feedCursorSaveBytes: readonly number[];
  /** Identifier values looked up (keys of the index's BatchGetItems). */
  identifierLookups: number;
}

export interface CostInputs {
  run: StrategyRun;
  /** Days the run's counts cover. */
  days: number;
  customers: number;
  /** Billed cursor item bytes by seen-set size. */
  cursorItemBytes: Int32Array;
  /** `schedule`: the due index, claims and the shared quota item; `round-robin`: the old layout. */
  layout: 'schedule' | 'round-robin';
  /** Queries of the due index a day (each shard once a scheduler tick). */
  dueQueriesPerDay: number;
  /** Conditional writes of the shared quota item a day (about one a second). */
  quotaWritesPerDay: number;
  feed?: FeedActivity | undefined;
}

export interface DynamoDbCost {
  readUnitsPerDay: number;
  writeUnitsPerDay: number;
  storageGb: number;
  onDemandDollarsPerMonth: number;
  provisionedDollarsPerMonth: number;
  /** Where the units go, per day. */
  breakdown: Record<string, { readUnits: number; writeUnits: number }>;
}

export function fleetDynamoDbCost(inputs: CostInputs): DynamoDbCost {
  const { run, days, cursorItemBytes } = inputs;
  const perDay = (units: number) => units / days;
  let cursorReads = 0;
  let cursorWrites = 0;
  let cursorBytes = 0;
  for (const seen of run.cursorSeenSizes) {
    const bytes = cursorItemBytes[Math.min(seen, cursorItemBytes.length - 1)] as number;
    // A consistent GetItem: 1 unit per 4 KB; a write: 1 unit per 1 KB.
    cursorReads += Math.ceil(bytes / 4096);
    cursorWrites += Math.ceil(bytes / 1024);
    cursorBytes += bytes;
  }
  const averageCursorBytes =
    run.cursorSeenSizes.length > 0
      ? cursorBytes / run.cursorSeenSizes.length
      : (cursorItemBytes[50] as number);
  const breakdown: DynamoDbCost['breakdown'] = {
    'cursor reads and writes (polls that found new events)': {
      readUnits: perDay(cursorReads),
      writeUnits: perDay(cursorWrites),
    },
  };
  let storageBytesPerCustomer = averageCursorBytes + ITEM_OVERHEAD_BYTES;
  if (inputs.layout === 'schedule' && inputs.feed !== undefined) {
    Object.assign(breakdown, backstopClaims(inputs.feed, run, perDay));
  } else if (inputs.layout === 'schedule') {
    // Claim: 1 WRU on the schedule item; nextPollAt moves, so the due index deletes and puts.
    breakdown['claims (1 item write + 2 due-index writes a poll)'] = {
      readUnits: 0,
      writeUnits: perDay(run.polls * 3),
    };
    // completePoll only when the outcome is not the tentative idle one.
    breakdown['completePoll (polls that found new events)'] = {
      readUnits: 0,
      writeUnits: perDay(run.activePolls * 3),
    };
  }
  if (inputs.layout === 'schedule') {
    // The worker Lambda takes each queued claim over from the scheduler: claimOwner only, no index key.
    breakdown['worker takeover on Lambda (1 item write a poll; none in the CLI sweep)'] = {
      readUnits: 0,
      writeUnits: perDay(run.polls),
    };
    // Eventually consistent Query: half a unit per 4 KB, rounded up per query.
    const keysPerQuery = run.polls / days / inputs.dueQueriesPerDay;
    breakdown['due-index queries (KEYS_ONLY)'] = {
      readUnits:
        inputs.dueQueriesPerDay *
        0.5 *
        Math.max(
          1,
          Math.ceil((keysPerQuery * (DUE_INDEX_ENTRY_BYTES + ITEM_OVERHEAD_BYTES)) / 4096),
        ),
      writeUnits: 0,
    };
    breakdown['shared quota item'] = { readUnits: 0, writeUnits: inputs.quotaWritesPerDay };
    storageBytesPerCustomer +=
      SCHEDULE_ITEM_BYTES + 2 * ITEM_OVERHEAD_BYTES + DUE_INDEX_ENTRY_BYTES;
    if (inputs.feed !== undefined) {
      Object.assign(breakdown, feedBreakdown(inputs.feed, perDay));
      // The walk's Scans read every item of the table once a pass, at half a unit per 4 KB.
      const tableBytes = inputs.customers * (storageBytesPerCustomer + IDENTIFIER_ITEM_BYTES);
      const passesPerDay = 86_400_000 / inputs.feed.walkPassMs;
      breakdown['backstop walk (a Scan of the table a pass, its position a step)'] = {
        readUnits: passesPerDay * 0.5 * Math.ceil(tableBytes / 4096) + WALK_STEPS_PER_DAY,
        writeUnits: WALK_STEPS_PER_DAY,
      };
      storageBytesPerCustomer += IDENTIFIER_ITEM_BYTES + ITEM_OVERHEAD_BYTES;
    }
  } else {
    // The old sweep scanned the watchlist index: each poll reads its entry at half a unit per 4 KB.
    breakdown['watchlist-index scan'] = {
      readUnits: perDay((run.polls * 0.5 * (WATCHLIST_ENTRY_BYTES + ITEM_OVERHEAD_BYTES)) / 4096),
      writeUnits: 0,
    };
    // A cursor write changes projected attributes: one more write to the watchlist index.
    breakdown['watchlist-index updates'] = { readUnits: 0, writeUnits: perDay(run.activePolls) };
    storageBytesPerCustomer += WATCHLIST_ENTRY_BYTES + ITEM_OVERHEAD_BYTES;
  }
  const readUnitsPerDay = Object.values(breakdown).reduce((sum, item) => sum + item.readUnits, 0);
  const writeUnitsPerDay = Object.values(breakdown).reduce((sum, item) => sum + item.writeUnits, 0);
  const storageGb = (inputs.customers * storageBytesPerCustomer) / 1024 ** 3;
  const storage = storageGb * DYNAMODB_PRICES.storageUsdPerGbMonth;
  const onDemand =
    ((readUnitsPerDay * DAYS_PER_MONTH) / 1e6) * DYNAMODB_PRICES.onDemandUsdPerMillionReadUnits +
    ((writeUnitsPerDay * DAYS_PER_MONTH) / 1e6) * DYNAMODB_PRICES.onDemandUsdPerMillionWriteUnits +
    storage;
  const provisionedUnits = (unitsPerDay: number) =>
    Math.max(1, Math.ceil(unitsPerDay / 86_400 / AUTO_SCALING_TARGET));
  const provisioned =
    provisionedUnits(readUnitsPerDay) * HOURS_PER_MONTH * DYNAMODB_PRICES.provisionedUsdPerRcuHour +
    provisionedUnits(writeUnitsPerDay) *
      HOURS_PER_MONTH *
      DYNAMODB_PRICES.provisionedUsdPerWcuHour +
    storage;
  return {
    readUnitsPerDay,
    writeUnitsPerDay,
    storageGb,
    onDemandDollarsPerMonth: onDemand,
    provisionedDollarsPerMonth: provisioned,
    breakdown,
  };
}

/** A step a scheduler tick at most: a consistent read and a write of the walk's position. */
const WALK_STEPS_PER_DAY = 1440;

/**
 * Claims and completions when the feed is healthy: a claim under the backstop takes the customer
 * off the due index, so only claims of customers on it (hinted ones, in the lane) write the index.
 */
function backstopClaims(
  feed: FeedActivity,
  run: StrategyRun,
  perDay: (units: number) => number,
): DynamoDbCost['breakdown'] {
  const indexed = run.polls - feed.walkedPolls;
  return {
    // Leaving the index: the item, and the index entry's delete.
    'claims of customers on the due index, lane included (1 item write + 1 due-index delete)': {
      readUnits: 0,
      writeUnits: perDay(indexed * 2),
    },
    'claims by the backstop walk (1 item write, no index key)': {
      readUnits: 0,
      writeUnits: perDay(feed.walkedPolls),
    },
    'completePoll (polls that found new events; off the index: 1 item write)': {
      readUnits: 0,
      writeUnits: perDay(run.activePolls),
    },
  };
}

/** The change feed's own operations, per day. */
function feedBreakdown(
  feed: FeedActivity,
  perDay: (units: number) => number,
): DynamoDbCost['breakdown'] {
  const sum = (bytes: readonly number[], unitBytes: number) =>
    bytes.reduce((units, size) => units + Math.ceil(size / unitBytes), 0);
  return {
    // markHinted puts a customer off the index back on it, into the lane.
    'hints (1 item write + 1 due-index put each, dropped hints none)': {
      readUnits: 0,
      writeUnits: perDay(feed.hintsMarked * 2),
    },
    // A consistent GetItem (1 unit per 4 KB) and a conditional PutItem (1 per 1 KB) a read.
    'feed cursor (a load and a save a feed read)': {
      readUnits: perDay(sum(feed.feedCursorLoadBytes, 4096)),
      writeUnits: perDay(sum(feed.feedCursorSaveBytes, 1024)),
    },
    // BatchGetItem, eventually consistent: half a unit per key (every item is under 4 KB); a key
    // not found is counted at the same minimum, as GetItem charges one (an upper bound if not).
    'identifier index lookups (BatchGetItem, eventually consistent)': {
      readUnits: perDay(feed.identifierLookups * 0.5 * Math.ceil(IDENTIFIER_ITEM_BYTES / 4096)),
      writeUnits: 0,
    },
  };
}
