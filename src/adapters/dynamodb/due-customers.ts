import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { DueCustomer } from '../../domain/claim/claimed-customer.js';
import type { FeedCoverage } from '../../domain/feed/feed-backstop.js';
import type { DueRead } from '../../domain/ports.js';
import { compareMostOverdue } from '../../domain/schedule/schedule.js';
import { type CursorTable, callTable, getItem, pagedItems } from './cursor-table.js';
import { DUE_INDEX_NAME, DUE_SHARD_KEYS } from './due-index.js';
import { parseItem } from './parse-item.js';
import { itemKind, scheduleKey } from './schedule-item.js';

/** A due-index entry: the schedule item's key, due time and (projected) tier. */
const DueEntrySchema = z.object({
  customerId: z.string(),
  // A hand-edited fraction must not hide the customer: it is due all the same.
  nextPollAt: z.number().transform(Math.floor),
  idlePolls: z.unknown().optional(),
});
const TierSchema = z.object({ idlePolls: z.unknown().optional() });
const NextPollSchema = z.object({ nextPollAt: z.number().int() });

/**
 * The customers due by `now`, then those due after `read.fastClockAfter`: each shard read page by
 * page, ascending, merged most overdue first.
 */
export async function* dueCustomers(
  table: CursorTable,
  pageLimit: number,
  now: number,
  read: DueRead = {},
): AsyncGenerator<DueCustomer> {
  const shards = DUE_SHARD_KEYS.map(({ shard, coverage }) =>
    dueInShard(table, pageLimit, shard, coverage, now, read),
  );
  try {
    const heads = await Promise.all(shards.map((shard) => shard.next()));
    for (;;) {
      let best = -1;
      for (let index = 0; index < heads.length; index++) {
        const head = heads[index];
        if (head === undefined || head.done) continue;
        const current = heads[best];
        if (
          best < 0 ||
          (current && !current.done && compareMostOverdue(head.value, current.value) < 0)
        ) {
          best = index;
        }
      }
      if (best < 0) return;
      const chosen = heads[best] as IteratorYieldResult<DueCustomer>;
      yield chosen.value;
      heads[best] = await (shards[best] as AsyncGenerator<DueCustomer>).next();
    }
  } finally {
    await Promise.all(shards.map((shard) => shard.return(undefined)));
  }
}

async function* dueInShard(
  table: CursorTable,
  pageLimit: number,
  shard: string,
  coverage: FeedCoverage,
  now: number,
  read: DueRead,
): AsyncGenerator<DueCustomer> {
  const listed = { table, pageLimit, shard, coverage, deadline: read.deadline };
  if (read.lane === 'only') {
    yield* dueInRange(listed, 'nextPollAt < :time', 0);
    return;
  }
  const backstop = coverage === 'backstop' ? read.backstop : undefined;
  const range =
    read.lane === 'excluded' ? 'nextPollAt BETWEEN :zero AND :time' : 'nextPollAt <= :time';
  yield* dueInRange(listed, range, now + (backstop?.dueShiftMs ?? 0));
  // Ascending still: what a fast clock put far ahead comes after everything due now.
  const fastClockAfter = backstop?.fastClockAfter ?? read.fastClockAfter;
  if (fastClockAfter !== undefined) {
    yield* dueInRange(listed, 'nextPollAt > :time', fastClockAfter, true);
  }
}

async function* dueInRange(
  listed: {
    table: CursorTable;
    pageLimit: number;
    shard: string;
    coverage: FeedCoverage;
    deadline: number | undefined;
  },
  range: string,
  time: number,
  fastClock = false,
): AsyncGenerator<DueCustomer> {
  const { table, pageLimit, shard, deadline } = listed;
  const pages = pagedItems(
    table,
    'Query',
    (startKey) =>
      table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: DUE_INDEX_NAME,
          KeyConditionExpression: `dueShard = :shard AND ${range}`,
          ExpressionAttributeValues: marshall({
            ':shard': shard,
            ':time': time,
            ...(range.includes(':zero') ? { ':zero': 0 } : {}),
          }),
          ScanIndexForward: true,
          Limit: pageLimit,
          ExclusiveStartKey: startKey,
        }),
      ),
    deadline,
  );
  for await (const item of pages) {
    const entry = parseItem(item, DueEntrySchema);
    const kind = itemKind(entry.ok ? entry.value.customerId : undefined);
    if (!entry.ok || kind.kind !== 'schedule') continue;
    // An index made without the tier (KEYS_ONLY by hand): read it from the item, or every
    // claim of a customer past its first idle poll would fail its condition forever.
    const tier = entry.value.idlePolls ?? (await storedTier(table, kind.customerId, deadline));
    yield {
      customerId: kind.customerId,
      nextPollAt: entry.value.nextPollAt,
      idlePolls: typeof tier === 'number' && Number.isSafeInteger(tier) ? tier : 0,
      ...(listed.coverage === 'none' ? {} : { coverage: listed.coverage }),
      ...(fastClock ? { fastClock } : {}),
    };
  }
}

async function storedTier(
  table: CursorTable,
  customerId: string,
  deadline: number | undefined,
): Promise<unknown> {
  const item = await getItem(table, scheduleKey(customerId), customerId, false, deadline);
  const parsed = item && parseItem(item, TierSchema);
  return parsed?.ok ? parsed.value.idlePolls : undefined;
}

/** The earliest due time of any active customer, or `undefined` when none is scheduled. */
export async function nextDueAt(table: CursorTable): Promise<number | undefined> {
  const firsts = await Promise.all(
    DUE_SHARD_KEYS.map(({ shard }) =>
      callTable(table, 'Query', undefined, () =>
        table.client.send(
          new QueryCommand({
            TableName: table.tableName,
            IndexName: DUE_INDEX_NAME,
            KeyConditionExpression: 'dueShard = :shard',
            ExpressionAttributeValues: marshall({ ':shard': shard }),
            ScanIndexForward: true,
            Limit: 1,
          }),
        ),
      ),
    ),
  );
  const times = firsts
    .flatMap((page) => page.Items ?? [])
    .flatMap((item) => {
      const parsed = parseItem(item, NextPollSchema);
      return parsed.ok ? [parsed.value.nextPollAt] : [];
    });
  return times.length === 0 ? undefined : Math.min(...times);
}
