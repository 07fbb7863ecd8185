import * as z from 'zod';
import { MAX_SEEN_AT, MIN_SEEN_AT } from './detect/seen-digest.js';

/**
 * Capillary user ids are signed 64-bit integers: this is the largest.
 */
export const MAX_CUSTOMER_ID = '9223372036854775807';

/**
 * Why `value` is not a customer id in canonical form, or `undefined` when it is one. Ids are
 * compared as text everywhere (keys, CLI, lists), so `007`, `7` and `0007` would be three
 * customers: leading zeros are refused rather than normalized, so what an operator typed is
 * exactly what is stored. The int64 bound is checked on the digits, never through `Number`.
 */
export function customerIdProblem(value: string): string | undefined {
  if (!/^[0-9]{1,19}$/.test(value)) {
    return /^[0-9]{20,}$/.test(value)
      ? `a customer id is at most ${MAX_CUSTOMER_ID} (the int64 maximum)`
      : 'a customer id is 1 to 19 digits (0-9) and nothing else';
  }
  if (/^0+$/.test(value)) return 'a customer id is at least 1';
  if (value.startsWith('0')) {
    return `a customer id has no leading zeros: write ${value.replace(/^0+/, '')} (007 and 7 would be two customers)`;
  }
  // Same length, digits only: text order is numeric order.
  if (value.length === MAX_CUSTOMER_ID.length && value > MAX_CUSTOMER_ID) {
    return `a customer id is at most ${MAX_CUSTOMER_ID} (the int64 maximum)`;
  }
  return undefined;
}

/** A Capillary user id in canonical form: 1 to 9223372036854775807, no leading zeros. */
export const CustomerIdSchema = z.string().superRefine((value, ctx) => {
  const problem = customerIdProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
type CustomerId = z.infer<typeof CustomerIdSchema>;

/** `child` reads a customer of a child org through the parent org's till (Connected orgs). */
export const ScopeSchema = z.enum(['default', 'child']);
export type Scope = z.infer<typeof ScopeSchema>;

/**
 * `baseline`: the first poll records what happened before the watch began (`createdAt`, see
 *   `predatesWatch`) and emits only what came after.
 * `backfill`: the first poll emits everything present.
 * `tracking`: every later poll.
 */
export const WatchModeSchema = z.enum(['baseline', 'backfill', 'tracking']);
export type WatchMode = z.infer<typeof WatchModeSchema>;

export const WatchStatusSchema = z.enum(['active', 'paused']);
export type WatchStatus = z.infer<typeof WatchStatusSchema>;

const SeenEventSchema = z.object({
  /** The digest of the event's identity (`seenDigest` of its `eventKey`), 16 hex characters. */
  digest: z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex characters (a seen digest)'),
  /** The event's own date, epoch milliseconds, within what the item keeps: the eviction order. */
  at: z.number().int().min(MIN_SEEN_AT).max(MAX_SEEN_AT),
});
export type SeenEvent = z.infer<typeof SeenEventSchema>;

/** One watched customer: the watchlist entry and its cursor in one item. */
export const CustomerStateSchema = z.object({
  customerId: CustomerIdSchema,
  scope: ScopeSchema,
  mode: WatchModeSchema,
  status: WatchStatusSchema,
  /** For people: the newest acknowledged event. Detection relies on `seen`, not on this. */
  lastSeenId: z.string().nullable(),
  lastSeenDate: z.string().nullable(),
  /** Recently acknowledged events, oldest first, bounded: their digests and dates. */
  seen: z.array(SeenEventSchema),
  /** Date (epoch ms) of the newest event evicted from `seen`; older unknown events are not re-emitted. */
  seenFloor: z.number().int().nullable(),
  /**
   * Digest of the window's ids after a poll that left nothing unacknowledged. The next poll that
   * sees the same window skips reading the seen set: the sweep only scans the small watch entries.
   */
  windowDigest: z.string().nullable(),
  /** Optimistic-locking counter: every write expects the version it read. */
  version: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CustomerState = z.infer<typeof CustomerStateSchema>;

/** What the sweep reads for every customer: the state without its (large) seen set. */
export const WatchEntrySchema = CustomerStateSchema.omit({ seen: true, seenFloor: true });
export type WatchEntry = z.infer<typeof WatchEntrySchema>;

export interface NewWatch {
  customerId: CustomerId;
  scope: Scope;
  backfill: boolean;
}

/** The state of a customer that has just been added to the watchlist. */
export function newCustomerState(watch: NewWatch, now: Date): CustomerState {
  return {
    customerId: watch.customerId,
    scope: watch.scope,
    mode: watch.backfill ? 'backfill' : 'baseline',
    status: 'active',
    lastSeenId: null,
    lastSeenDate: null,
    seen: [],
    seenFloor: null,
    windowDigest: null,
    version: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}
