/**
 * The index a sweep reads to find due customers, shared by the store, `init` and the CDK
 * construct so the three cannot disagree. Only schedule items of active customers carry
 * `dueShard`, so the index holds exactly the customers that can be due (a sparse index): paused
 * customers and cursor items are not in it.
 */
export const DUE_INDEX_NAME = 'due';
export const DUE_INDEX_PARTITION_KEY = 'dueShard';
export const DUE_INDEX_SORT_KEY = 'nextPollAt';
/**
 * Besides the keys, the tier: the claim writes the tentative idle schedule, whose interval depends
 * on it, without reading the item first. Small: an index entry stays well under 1 KB.
 */
export const DUE_INDEX_PROJECTED_ATTRIBUTES = ['idlePolls'] as const;
/**
 * Shards only spread the index's writes and reads over several partitions; a sweep merges them.
 * Changing it re-shards nothing already stored: keep it.
 */
export const DUE_SHARDS = 4;

/** The shard of a customer: a stable hash of its id (FNV-1a), so it never moves. */
export function dueShardOf(customerId: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < customerId.length; index++) {
    hash ^= customerId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return String(hash % DUE_SHARDS);
}

/**
 * 0.1.0's index, which `due` replaces: the construct keeps it while a stack upgrades (two deploys,
 * since CloudFormation changes one index per update), and the benchmark prices it as the baseline.
 */
export const LEGACY_WATCHLIST_INDEX = {
  indexName: 'watchlist',
  nonKeyAttributes: [
    'scope',
    'mode',
    'status',
    'lastSeenId',
    'lastSeenDate',
    'windowDigest',
    'version',
    'createdAt',
    'updatedAt',
  ],
} as const;
