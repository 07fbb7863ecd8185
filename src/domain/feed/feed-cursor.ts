import * as z from 'zod';
import { clampSeenAt, seenDigest } from '../detect/seen-digest.js';

/**
 * Where the change feed is in the org's event log: everything up to `readTo` has been read once,
 * and the ids of the records in the last lag allowance before it are kept, so the next read, which
 * starts `lag` earlier to catch late records, counts each record once. It keeps a digest of each
 * id (`seenDigest`, as the cursor item's seen set does): 14 bytes a record stored, whatever the
 * ids look like, for a cursor written every read.
 */

/** What the cursor keeps of a record id. */
export function feedRecordKey(id: string): string {
  return seenDigest(id);
}

/**
 * The most record ids kept. At a busy org's rate (20 records/s) and the default 120 s lag
 * allowance that is 2,400; past the cap the oldest are dropped (a record read again is then a hint
 * twice, which the hint's own check makes harmless). About 80 KB stored, within one item.
 */
const MAX_FEED_CURSOR_IDS = 5_000;

export const FeedCursorSchema = z.object({
  /** Epoch ms: the log is read up to here (the `to` of the last slice read in full). */
  readTo: z.number().int().nonnegative(),
  /** Record id's digest (`feedRecordKey`) and its `startTime`, newest first, those at or after `readTo - lag`. */
  recent: z.array(z.tuple([z.string(), z.number().int()])).max(MAX_FEED_CURSOR_IDS),
  /** Optimistic lock: one writer of the cursor at a time. */
  version: z.number().int().nonnegative(),
});
export type FeedCursor = z.infer<typeof FeedCursorSchema>;

/** The cursor of a feed that has never run: it reads back `lookBackMs` to learn from recent history. */
export function initialFeedCursor(now: number, lookBackMs: number): FeedCursor {
  return { readTo: Math.max(0, now - lookBackMs), recent: [], version: 0 };
}

/**
 * The cursor after a read up to `readTo` that found `records`: the ids kept are those of the
 * overlap the next read asks again, newest first, at most `MAX_FEED_CURSOR_IDS`.
 */
export function advanceFeedCursor(
  cursor: FeedCursor,
  readTo: number,
  records: Iterable<{ id: string; startTime: number }>,
  lagMs: number,
): FeedCursor {
  const to = Math.max(cursor.readTo, readTo);
  const keepFrom = to - lagMs;
  const byId = new Map<string, number>();
  for (const [id, startTime] of cursor.recent) byId.set(id, startTime);
  for (const { id, startTime } of records) byId.set(feedRecordKey(id), clampSeenAt(startTime));
  const recent = [...byId]
    .filter(([, startTime]) => startTime >= keepFrom)
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_FEED_CURSOR_IDS);
  return { readTo: to, recent, version: cursor.version };
}
