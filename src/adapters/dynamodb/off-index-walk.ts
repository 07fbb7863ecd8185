import { type AttributeValue, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import {
  WALK_SEGMENTS,
  type WalkedCustomer,
  type WalkPosition,
  walkStep,
} from '../../domain/feed/backstop-walk.js';
import { forEachConcurrently } from '../../domain/poll/for-each-concurrently.js';
import type { OffIndexWalk } from '../../domain/ports.js';
import { isConditionFailure } from './conditional-update.js';
import { CursorStoreError } from './cursor-store-errors.js';
import { type CursorTable, getItem, pagedItems, updateIf } from './cursor-table.js';
import { dueShardOf } from './due-index.js';
import { parseItem } from './parse-item.js';
import { itemKind, scheduleKey } from './schedule-item.js';

/*
 * The walk's position: one item, key `walk#backstop`, in the cursor table:
 *
 *   customerId     S   `walk#backstop`
 *   passStartedAt  N   epoch ms the current pass began
 *   nextSegment    N   the next scan segment, `WALK_SEGMENTS` once the pass is done
 *   version        N   optimistic lock: of two walkers, one advances it
 */

/** Shared with the construct, whose grant lets the scheduler write this one item. */
export const WALK_KEY = 'walk#backstop';

const PositionSchema = z.object({
  passStartedAt: z.number().int(),
  nextSegment: z.number().int().nonnegative(),
  version: z.number().int().nonnegative(),
});

const WalkedItemSchema = z.object({
  customerId: z.string(),
  // A hand-edited fraction must not hide the customer: it is due all the same.
  nextPollAt: z.number().transform(Math.floor),
  idlePolls: z.number().int().nonnegative().catch(0),
  lastPolledAt: z.number().int().nullish().catch(null),
  claimedUntil: z.number().int().nullish().catch(null),
});

/**
 * The active schedule items off the due index in the walk's next segments (`walkStep`), and how
 * to record that they were offered to claims. A step that is never advanced is scanned again, so
 * a tick that stops before claiming everything it walked loses nobody. Only the keys and schedule
 * of matching items come back; the Scan is billed for every item it reads, a few KB a customer.
 */
export async function walkOffIndex(
  table: CursorTable,
  walk: {
    now: number;
    passMs: number;
    segments?: number | undefined;
    deadline?: number | undefined;
  },
): Promise<OffIndexWalk> {
  const { now, passMs, segments = WALK_SEGMENTS, deadline } = walk;
  const stored = await getItem(table, marshall({ customerId: WALK_KEY }), WALK_KEY, true, deadline);
  const parsed = stored && parseItem(stored, PositionSchema);
  // An unreadable position restarts the pass: a walk too many, never one too few.
  const position = parsed?.ok ? parsed.value : undefined;
  const step = walkStep(position, now, passMs, segments);
  const customers: WalkedCustomer[] = [];
  for (let segment = step.from; segment < step.to; segment++) {
    for await (const item of scanSegment(table, { segment, segments }, deadline)) {
      const kind = itemKind(item.customerId?.S);
      const entry = parseItem(item, WalkedItemSchema);
      if (kind.kind !== 'schedule' || !entry.ok) continue;
      const { nextPollAt, idlePolls, lastPolledAt, claimedUntil } = entry.value;
      customers.push({
        customerId: kind.customerId,
        nextPollAt,
        idlePolls,
        lastPolledAt: lastPolledAt ?? null,
        claimedUntil: claimedUntil ?? null,
      });
    }
  }
  return {
    customers,
    advance: async () => {
      if (step.to === step.from) return;
      await savePosition(
        table,
        step.next,
        stored === undefined ? undefined : (position?.version ?? -1),
      );
    },
    putBackOnIndex: async (left) => {
      await forEachConcurrently(left, (entry) => putBackOnIndex(table, entry, deadline), {
        limit: () => PUT_BACKS_IN_FLIGHT,
      });
    },
  };
}

const PUT_BACKS_IN_FLIGHT = 8;

/**
 * One walked customer back on the due index (known to the feed: a `c` shard), due at `dueAt`: one
 * conditional write, skipped when the item changed since the walk read it (claimed, hinted, polled).
 */
async function putBackOnIndex(
  table: CursorTable,
  { customer, dueAt }: { customer: WalkedCustomer; dueAt: number },
  deadline: number | undefined,
): Promise<void> {
  const { customerId } = customer;
  await updateIf(
    table,
    scheduleKey(customerId),
    {
      set: { dueShard: dueShardOf(customerId, 'bounded'), nextPollAt: dueAt },
      condition: 'attribute_not_exists(#dueShard) AND #status = :active AND #nextPollAt = :listed',
      conditionValues: { ':active': 'active', ':listed': customer.nextPollAt },
    },
    { operation: 'UpdateItem (walk put-back)', customerId },
    { deadline },
  );
}

function scanSegment(
  table: CursorTable,
  { segment, segments }: { segment: number; segments: number },
  deadline: number | undefined,
): AsyncGenerator<Record<string, AttributeValue>> {
  return pagedItems(
    table,
    'Scan (backstop walk)',
    (startKey) =>
      table.client.send(
        new ScanCommand({
          TableName: table.tableName,
          Segment: segment,
          TotalSegments: segments,
          // Active schedule items the due index does not hold: the index is sparse on dueShard.
          FilterExpression:
            'begins_with(#customerId, :schedule) AND attribute_not_exists(#dueShard) AND #status = :active',
          ProjectionExpression:
            '#customerId, #nextPollAt, #idlePolls, #lastPolledAt, #claimedUntil',
          ExpressionAttributeNames: {
            '#customerId': 'customerId',
            '#dueShard': 'dueShard',
            '#status': 'status',
            '#nextPollAt': 'nextPollAt',
            '#idlePolls': 'idlePolls',
            '#lastPolledAt': 'lastPolledAt',
            '#claimedUntil': 'claimedUntil',
          },
          ExpressionAttributeValues: marshall({ ':schedule': 'schedule#', ':active': 'active' }),
          ExclusiveStartKey: startKey,
        }),
      ),
    deadline,
  );
}

/**
 * Saves the walk's position over version `expected` (`undefined`: none stored; -1: an unreadable
 * one, overwritten). Another walker that saved first wins: it scanned the same segments.
 */
async function savePosition(
  table: CursorTable,
  next: WalkPosition,
  expected: number | undefined,
): Promise<void> {
  const condition =
    expected === undefined
      ? { ConditionExpression: 'attribute_not_exists(customerId)' }
      : expected < 0
        ? {}
        : {
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: marshall({ ':expected': expected }),
          };
  try {
    await table.client.send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: marshall({
          customerId: WALK_KEY,
          passStartedAt: next.passStartedAt,
          nextSegment: next.nextSegment,
          version: next.version + 1,
        }),
        ...condition,
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return;
    throw new CursorStoreError('PutItem (backstop walk)', table.tableName, undefined, error);
  }
}
