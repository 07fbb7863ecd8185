import { describeError } from '../errors.js';
import type { CustomerLookup, Logger, WatchedCustomers } from '../ports.js';
import { redactSecrets } from '../redaction.js';
import type { IdentifierPair } from './feed-learning.js';
import type { FeedHint, UnmatchedRecord } from './read-change-feed.js';

/**
 * The identifier index's third source: identifier values of log records no watched customer is
 * known by, resolved through Capillary's customer lookup, a few per feed read. Each lookup is one
 * request of the Capillary quota, so the answers that name no watched customer are remembered
 * (in memory) and not asked again before they expire.
 */

export interface IdentifierLookupSettings {
  /** Distinct values asked per feed read at most (`CHANGE_FEED_LOOKUPS_PER_READ`). */
  perRead: number;
  /** How long a value that names no watched customer is not asked again (ms). */
  negativeMs: number;
  /** How many answers are remembered; the oldest are forgotten first. */
  capacity?: number;
}

export interface IdentifierLookupDeps {
  lookup: CustomerLookup;
  watched: WatchedCustomers;
  logger: Logger;
}

/** What one read's lookups did. */
export interface LookupCounts {
  /** Values asked (one lookup each, its retries aside). */
  made: number;
  /** Values that named a watched customer: learned and hinted. */
  resolved: number;
  /** Values that named no customer, or one not watched: remembered until the answer expires. */
  negative: number;
  /** Lookups that failed (transport, status, a malformed answer): asked again after a pause. */
  failed: number;
  /** Values not asked because a remembered answer still holds. */
  remembered: number;
  /** Values not asked for want of budget: they are candidates again when seen again. */
  deferred: number;
}

export interface LookupOutcome {
  /** Pairs for the identifier index (stored hashed). */
  learned: IdentifierPair[];
  /** One per customer, its newest record. */
  hints: FeedHint[];
  counts: LookupCounts;
}

/**
 * How long a value whose lookup failed is not asked again: a value Capillary keeps refusing (a
 * junk value in a hostile record) would otherwise take a share of every read's budget.
 */
export const LOOKUP_RETRY_AFTER_FAILURE_MS = 15 * 60_000;

/** Remembered answers by default: ~100 bytes each, a few MB at most. */
const DEFAULT_CAPACITY = 20_000;

/**
 * Resolves unmatched identifier values through Capillary's customer lookup, within a budget per
 * read, remembering negative answers (no customer, or not watched) until they expire. Never throws
 * for a failed lookup: it is counted, logged without the value, and the feed goes on.
 *
 * The remembered answers live in memory, not in the table: they are answers about people nobody
 * watches, and a forgotten one (a new process) costs at most one lookup within the same budget.
 */
export class IdentifierLookup {
  /** Value → epoch ms until which it is not asked again. Insertion order is age order. */
  private readonly notBefore = new Map<string, number>();
  private readonly capacity: number;

  constructor(
    private readonly deps: IdentifierLookupDeps,
    private readonly settings: IdentifierLookupSettings,
  ) {
    this.capacity = settings.capacity ?? DEFAULT_CAPACITY;
  }

  async resolveUnmatched(records: readonly UnmatchedRecord[], now: number): Promise<LookupOutcome> {
    const counts: LookupCounts = {
      made: 0,
      resolved: 0,
      negative: 0,
      failed: 0,
      remembered: 0,
      deferred: 0,
    };
    const learned: IdentifierPair[] = [];
    const newest = new Map<string, number>();
    let firstProblem: string | undefined;
    for (const { value, startTime } of candidates(records)) {
      const until = this.notBefore.get(value);
      if (until !== undefined && until > now) {
        counts.remembered += 1;
        continue;
      }
      if (counts.made >= this.settings.perRead) {
        counts.deferred += 1;
        continue;
      }
      counts.made += 1;
      let customerId: string | undefined;
      try {
        const answer = await this.deps.lookup.lookupCustomer(value);
        if (answer.kind === 'found' && (await this.deps.watched.isWatched(answer.customerId))) {
          customerId = answer.customerId;
        }
      } catch (error) {
        counts.failed += 1;
        firstProblem ??= withoutValue(describeError(error), value);
        this.remember(
          value,
          now + Math.min(LOOKUP_RETRY_AFTER_FAILURE_MS, this.settings.negativeMs),
        );
        continue;
      }
      if (customerId === undefined) {
        counts.negative += 1;
        this.remember(value, now + this.settings.negativeMs);
        continue;
      }
      counts.resolved += 1;
      this.notBefore.delete(value);
      learned.push({ customerId, identifier: value });
      newest.set(customerId, Math.max(newest.get(customerId) ?? 0, startTime));
    }
    if (firstProblem !== undefined) {
      this.deps.logger.warn('customer lookups failed: those values are asked again later', {
        failed: counts.failed,
        problem: firstProblem,
      });
    }
    const hints = [...newest]
      .map(([customerId, startTime]) => ({ customerId, startTime }))
      .sort((a, b) => a.startTime - b.startTime);
    return { learned, hints, counts };
  }

  private remember(value: string, until: number): void {
    this.notBefore.delete(value);
    this.notBefore.set(value, until);
    while (this.notBefore.size > this.capacity) {
      this.notBefore.delete(this.notBefore.keys().next().value as string);
    }
  }
}

/**
 * Distinct values, most records first (a busy identifier is the likeliest to matter), then the
 * newest; each with its newest record's `startTime`.
 */
function candidates(
  records: readonly UnmatchedRecord[],
): { value: string; startTime: number; records: number }[] {
  const byValue = new Map<string, { value: string; startTime: number; records: number }>();
  for (const record of records) {
    for (const value of new Set(record.identifiers)) {
      const seen = byValue.get(value);
      if (seen === undefined)
        byValue.set(value, { value, startTime: record.startTime, records: 1 });
      else {
        seen.records += 1;
        seen.startTime = Math.max(seen.startTime, record.startTime);
      }
    }
  }
  return [...byValue.values()].sort((a, b) => b.records - a.records || b.startTime - a.startTime);
}

/** A problem as logged: the value (personal data) removed, should an adapter have echoed it. */
function withoutValue(problem: string, value: string): string {
  return redactSecrets(problem, [
    value,
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ]);
}
