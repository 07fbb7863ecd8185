import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { type ScheduleState, ScheduleStateSchema } from '../../domain/claim/claimed-customer.js';
import {
  CustomerIdSchema,
  type CustomerState,
  ScopeSchema,
  WatchModeSchema,
} from '../../domain/customer-state.js';
import { initialSchedule } from '../../domain/schedule/schedule.js';
import { dueShardOf } from './due-index.js';
import { type ParsedItem, parseItem } from './parse-item.js';

/*
 * Schedule item: one per watched customer, key `schedule#<id>`, small (well under 1 KB, so a write
 * costs one unit):
 *
 *   customerId    S          `schedule#<id>`
 *   scope         S          mirror of the cursor's
 *   status        S          'active' | 'paused'
 *   mode          S          mirror of the cursor's ('baseline' | 'backfill' | 'tracking')
 *   windowDigest  S | NULL   digest of the last complete window: same window, no cursor read
 *   nextPollAt    N          epoch ms
 *   idlePolls     N          idle polls in a row: the tier
 *   lastPolledAt  N | NULL   epoch ms of the last successful poll
 *   createdAt     N          epoch ms
 *   dueShard      S          '0'…'N-1' (`c`-prefixed once the feed knows it), only while active and
 *                            not claimed under the backstop: the `due` index holds no other
 *   claimOwner    S          while claimed
 *   claimedUntil  N          while claimed, epoch ms
 *   lastError     S          after a failed poll, until the next successful one
 *   lastFailedAt  N
 */

const SCHEDULE_KEY_PREFIX = 'schedule#';
const CUSTOMER_KEY = /^[0-9]{1,19}$/;
const SCHEDULE_KEY = /^schedule#([0-9]{1,19})$/;

export function scheduleKey(customerId: string): Record<string, AttributeValue> {
  return marshall({ customerId: `${SCHEDULE_KEY_PREFIX}${customerId}` });
}

/** What an item's key says it is: the table also holds the quota item and maybe others. */
export function itemKind(
  key: string | undefined,
): { kind: 'cursor' | 'schedule'; customerId: string } | { kind: 'other' } {
  if (key === undefined) return { kind: 'other' };
  if (CUSTOMER_KEY.test(key)) return { kind: 'cursor', customerId: key };
  const match = SCHEDULE_KEY.exec(key);
  return match ? { kind: 'schedule', customerId: match[1] as string } : { kind: 'other' };
}

/** The schedule item of a customer that has just been watched (or migrated): due at once. */
export function newScheduleItem(
  state: Pick<
    CustomerState,
    'customerId' | 'scope' | 'mode' | 'status' | 'windowDigest' | 'createdAt'
  >,
  now: number,
): Record<string, AttributeValue> {
  const createdAt = Date.parse(state.createdAt);
  const schedule = initialSchedule(Number.isNaN(createdAt) ? now : Math.min(createdAt, now));
  return marshall(
    {
      customerId: `${SCHEDULE_KEY_PREFIX}${state.customerId}`,
      scope: state.scope,
      status: state.status,
      mode: state.mode,
      windowDigest: state.windowDigest,
      nextPollAt: schedule.nextPollAt,
      idlePolls: 0,
      lastPolledAt: null,
      createdAt: Number.isNaN(createdAt) ? now : createdAt,
      // Absent while paused: the due index holds active customers only.
      dueShard: state.status === 'active' ? dueShardOf(state.customerId) : undefined,
    },
    { removeUndefinedValues: true },
  );
}

const StoredScheduleSchema = z
  .object({
    customerId: z.string(),
    scope: ScopeSchema,
    mode: WatchModeSchema,
    windowDigest: z.string().nullish(),
    claimOwner: z.string().optional(),
    claimedUntil: z.number().int().nullish(),
    lastError: z.string().nullish(),
    lastFailedAt: z.number().int().nullish(),
    createdAt: z.number().int(),
  })
  .extend(ScheduleStateSchema.pick({ status: true, nextPollAt: true, idlePolls: true }).shape)
  .extend({ lastPolledAt: z.number().int().nullish() });

export interface DecodedSchedule {
  customerId: string;
  scope: z.infer<typeof ScopeSchema>;
  mode: z.infer<typeof WatchModeSchema>;
  windowDigest: string | null;
  claimOwner: string | undefined;
  createdAt: number;
  state: ScheduleState;
}

/** Never throws: a schedule item, or what is wrong with it. */
export function decodeSchedule(item: Record<string, AttributeValue>): ParsedItem<DecodedSchedule> {
  const parsed = parseItem(item, StoredScheduleSchema);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  const kind = itemKind(value.customerId);
  const customerId = kind.kind === 'schedule' ? kind.customerId : value.customerId;
  if (!CustomerIdSchema.safeParse(customerId).success) {
    return { ok: false, problem: `customerId: not a schedule key: ${value.customerId}` };
  }
  return {
    ok: true,
    value: {
      customerId,
      scope: value.scope,
      mode: value.mode,
      windowDigest: value.windowDigest ?? null,
      claimOwner: value.claimOwner,
      createdAt: value.createdAt,
      state: {
        status: value.status,
        nextPollAt: value.nextPollAt,
        idlePolls: value.idlePolls,
        lastPolledAt: value.lastPolledAt ?? null,
        claimedUntil: value.claimedUntil ?? null,
        lastError: value.lastError ?? null,
        lastFailedAt: value.lastFailedAt ?? null,
      },
    },
  };
}

/**
 * The attributes of a schedule item that cannot be read (missing, or of the wrong type): names
 * only, never their values, which may be anything a hand edit put there.
 */
export function unreadableScheduleFields(item: Record<string, AttributeValue>): string[] {
  let plain: Record<string, unknown>;
  try {
    plain = unmarshall(item);
  } catch {
    return ['(item)'];
  }
  const parsed = StoredScheduleSchema.safeParse(plain);
  if (parsed.success) return [];
  return [...new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? '(item)')))];
}
