import { z } from 'zod';

/** Capillary user ids are numeric; 19 digits is the most a signed 64-bit id can have. */
export const CustomerIdSchema = z
  .string()
  .regex(/^[0-9]{1,19}$/, 'a customer id is 1 to 19 digits (0-9) and nothing else');
export type CustomerId = z.infer<typeof CustomerIdSchema>;

/** `child` reads a customer of a child org through the parent org's till (Connected orgs). */
export const ScopeSchema = z.enum(['default', 'child']);
export type Scope = z.infer<typeof ScopeSchema>;

/**
 * `baseline`: the first poll records what is there and emits nothing.
 * `backfill`: the first poll emits everything present.
 * `tracking`: every later poll.
 */
export const WatchModeSchema = z.enum(['baseline', 'backfill', 'tracking']);
export type WatchMode = z.infer<typeof WatchModeSchema>;

export const WatchStatusSchema = z.enum(['active', 'paused']);
export type WatchStatus = z.infer<typeof WatchStatusSchema>;

export const SeenEventSchema = z.object({
  /** The event's identity (see `eventKey`). */
  id: z.string().min(1),
  /** The event's own date, epoch milliseconds: the eviction order of the bounded set. */
  at: z.number().int(),
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
  /** Recently acknowledged events, oldest first, bounded. */
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
