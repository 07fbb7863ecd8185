import type { FeedCoverage } from '../../domain/feed/feed-backstop.js';

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

/**
 * The shard also says what the change feed vouches for (`FeedCoverage`), since the claim must know
 * it from the index entry alone: `0`…`N-1` none (the layout before the feed), `c0`… bounded,
 * `b0`… backstop. A customer changes prefix, never number. A claim under the backstop now takes
 * the customer off the index instead (the walk finds it, `backstop-walk.ts`): `b` shards are only
 * read, for items written before.
 */
export const COVERAGE_PREFIX: Record<FeedCoverage, string> = {
  none: '',
  bounded: 'c',
  backstop: 'b',
};

/** The shard of a customer: a stable hash of its id (FNV-1a), its number never moves. */
export function dueShardOf(customerId: string, coverage: FeedCoverage = 'none'): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < customerId.length; index++) {
    hash ^= customerId.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${COVERAGE_PREFIX[coverage]}${hash % DUE_SHARDS}`;
}

/** Every shard a sweep reads, with the coverage of its customers. */
export const DUE_SHARD_KEYS: readonly { shard: string; coverage: FeedCoverage }[] = (
  Object.entries(COVERAGE_PREFIX) as [FeedCoverage, string][]
).flatMap(([coverage, prefix]) =>
  Array.from({ length: DUE_SHARDS }, (_, shard) => ({ shard: `${prefix}${shard}`, coverage })),
);

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
