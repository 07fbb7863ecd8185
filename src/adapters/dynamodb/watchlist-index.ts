/**
 * The index the sweep scans: keyed like the table (customerId) but projecting only the small
 * attributes of a watch entry, so the per-minute Scan never reads the seen sets. Shared by the
 * store, `init` and the CDK construct so the three cannot disagree.
 */
export const WATCHLIST_INDEX_NAME = 'watchlist';

/** Every attribute of a `WatchEntry` except the key. */
export const WATCHLIST_PROJECTED_ATTRIBUTES = [
  'scope',
  'mode',
  'status',
  'lastSeenId',
  'lastSeenDate',
  'windowDigest',
  'version',
  'createdAt',
  'updatedAt',
] as const;
