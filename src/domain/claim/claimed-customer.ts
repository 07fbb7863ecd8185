import * as z from 'zod';
import {
  CustomerIdSchema,
  ScopeSchema,
  WatchModeSchema,
  WatchStatusSchema,
} from '../customer-state.js';
import type { FeedCoverage } from '../feed/feed-backstop.js';

/**
 * A due customer held by one poller until `claimedUntil`: no other poller polls it meanwhile, and
 * the holder publishes nothing once its claim is about to run out. What the claim returned is all
 * a poll needs before its fetch (no extra read), and it crosses SQS from the scheduler to a worker,
 * hence a schema.
 */
export const ClaimedCustomerSchema = z.object({
  customerId: CustomerIdSchema,
  scope: ScopeSchema,
  /** Mirror of the cursor's mode: a baseline or backfill customer always reads its cursor. */
  mode: WatchModeSchema,
  /** Digest of the last complete window: the same window again means nothing new, no read. */
  windowDigest: z.string().nullable(),
  /** Idle polls in a row before this claim: a failed poll keeps this tier. */
  idlePolls: z.number().int().nonnegative(),
  /** Epoch ms of the last successful poll before this claim, `null` before the first. */
  lastPolledAt: z.number().int().nullable(),
  /** Epoch ms: the tentative (idle) next poll the claim wrote, kept when the poll is idle. */
  nextPollAt: z.number().int(),
  claimOwner: z.string().min(1),
  /** Epoch ms at which the claim expires and another poller may take the customer. */
  claimedUntil: z.number().int(),
  /**
   * The longest idle interval the claim scheduled under: the backstop bound for a customer the
   * change feed covers (`feed-backstop.ts`), so the poll's own schedule follows the claim's.
   * Absent: the staleness bound (messages queued before the backstop existed).
   */
  maxIntervalMs: z.number().int().positive().optional(),
});
export type ClaimedCustomer = z.infer<typeof ClaimedCustomerSchema>;

/** A customer the due index shows as due: its key and what the claim's tentative schedule needs. */
export interface DueCustomer {
  customerId: string;
  nextPollAt: number;
  idlePolls: number;
  /** What the change feed vouches for (`feed-backstop.ts`); absent: `none`. */
  coverage?: FeedCoverage | undefined;
  /** Listed although not due, because its time is further ahead than a sound clock writes. */
  fastClock?: boolean | undefined;
}

/** What `watch list` shows of a customer's schedule item. */
export const ScheduleStateSchema = z.object({
  status: WatchStatusSchema,
  nextPollAt: z.number().int(),
  idlePolls: z.number().int().nonnegative(),
  lastPolledAt: z.number().int().nullable(),
  claimedUntil: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastFailedAt: z.number().int().nullable(),
});
export type ScheduleState = z.infer<typeof ScheduleStateSchema>;
