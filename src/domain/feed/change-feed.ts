import { describeError } from '../errors.js';
import type {
  EventLogSource,
  FeedCursorStore,
  HintSink,
  IdentifierIndex,
  Logger,
} from '../ports.js';
import { type FeedCursor, initialFeedCursor } from './feed-cursor.js';
import type { FeedLearning } from './feed-learning.js';
import type { IdentifierLookup, LookupCounts } from './identifier-lookup.js';
import { type ChangeFeedOptions, type FeedReadCounts, readChangeFeed } from './read-change-feed.js';

export interface ChangeFeedSettings extends ChangeFeedOptions {
  /** `CHANGE_FEED_INTERVAL_SECONDS` in ms: the pace of reads, and the unit of the back-off. */
  intervalMs: number;
  /** How far back a feed without a cursor reads first, to learn from recent history. */
  lookBackMs: number;
}

export interface ChangeFeedDeps {
  log: EventLogSource;
  index: IdentifierIndex;
  learning: FeedLearning;
  cursors: FeedCursorStore;
  hints: HintSink;
  logger: Logger;
  /** Capillary's customer lookup for values the index does not know (`CHANGE_FEED_LOOKUP=on`). */
  lookup?: IdentifierLookup | undefined;
}

/**
 * Failures in a row after which the feed is degraded: one warning, then reads back off.
 */
const FEED_FAILURES_BEFORE_DEGRADED = 3;
/**
 * The longest back-off of a failing feed; an org without the log (404) is asked again this often too.
 */
export const FEED_MAX_BACKOFF_MS = 15 * 60_000;

export type FeedRun =
  | {
      kind: 'read';
      counts: FeedReadCounts;
      hintsDueNow: number;
      hintsDropped: number;
      /** Present when the customer lookup is on. */
      lookups?: LookupCounts;
    }
  /** Backing off after failures, or the log is unavailable: polling goes on by schedule. */
  | { kind: 'skipped'; until: number }
  | { kind: 'unavailable'; detail: string }
  | { kind: 'failed'; reason: string; counts: FeedReadCounts | undefined };

/**
 * The change feed, one read per `runOnce`: cursor in, log read, index learned, hints marked,
 * cursor out, then (when on) unknown values looked up, learned and hinted. Never throws: a failing or missing log degrades to schedule-only polling with one
 * warning (and `degraded` for the metric) and is retried with a growing back-off, never in a loop.
 */
export class ChangeFeed {
  private failures = 0;
  private skipUntil = 0;
  private warned = false;

  constructor(
    private readonly deps: ChangeFeedDeps,
    private readonly settings: ChangeFeedSettings,
  ) {}

  /** `true` while the feed is failing or unavailable (the `FeedDegraded` metric). */
  get degraded(): boolean {
    return this.failures >= FEED_FAILURES_BEFORE_DEGRADED || this.warned;
  }

  async runOnce(now: number): Promise<FeedRun> {
    if (now < this.skipUntil) return { kind: 'skipped', until: this.skipUntil };
    let counts: FeedReadCounts | undefined;
    try {
      const cursor: FeedCursor =
        (await this.deps.cursors.loadFeedCursor()) ??
        initialFeedCursor(now, this.settings.lookBackMs);
      const read = await readChangeFeed(this.deps, cursor, now, this.settings);
      counts = read.counts;
      if (read.outcome.kind === 'unavailable') {
        this.skipUntil = now + FEED_MAX_BACKOFF_MS;
        this.warnOnce(
          'the org-wide event log is unavailable: customers are polled by schedule only',
          {
            problem: read.outcome.detail,
            retryInSeconds: FEED_MAX_BACKOFF_MS / 1000,
          },
        );
        return { kind: 'unavailable', detail: read.outcome.detail };
      }
      if (read.learned.length > 0) await this.deps.index.learn(read.learned);
      let hintsDueNow = await this.markHinted(read.hints);
      const saved = await this.deps.cursors.saveFeedCursor(read.cursor);
      if (saved === 'conflict') {
        throw new Error('the feed cursor was written by another feed: is a second feed running?');
      }
      if (read.outcome.kind === 'failed') throw read.outcome.error;
      // After the cursor is saved: a slow or failing lookup never holds the feed back.
      const { lookup } = this.deps;
      let lookups: LookupCounts | undefined;
      let lookupHints = 0;
      if (lookup !== undefined) {
        const looked = await lookup.resolveUnmatched(read.unmatched, now);
        lookups = looked.counts;
        if (looked.learned.length > 0) await this.deps.index.learn(looked.learned);
        hintsDueNow += await this.markHinted(looked.hints);
        lookupHints = looked.hints.length;
      }
      this.recovered();
      return {
        kind: 'read',
        counts,
        hintsDueNow,
        hintsDropped: read.hints.length + lookupHints - hintsDueNow,
        ...(lookups === undefined ? {} : { lookups }),
      };
    } catch (error) {
      return { kind: 'failed', reason: this.failed(now, error), counts };
    }
  }

  /** Marks each hint; how many put their customer in the priority lane. */
  private async markHinted(
    hints: readonly { customerId: string; startTime: number }[],
  ): Promise<number> {
    let dueNow = 0;
    for (const hint of hints) {
      if ((await this.deps.hints.markHinted(hint.customerId, hint.startTime)) === 'due-now') {
        dueNow += 1;
      }
    }
    return dueNow;
  }

  private failed(now: number, error: unknown): string {
    const reason = describeError(error);
    this.failures += 1;
    if (this.failures >= FEED_FAILURES_BEFORE_DEGRADED) {
      const backoff = Math.min(
        FEED_MAX_BACKOFF_MS,
        this.settings.intervalMs * 2 ** (this.failures - FEED_FAILURES_BEFORE_DEGRADED + 1),
      );
      this.skipUntil = now + backoff;
      this.warnOnce('the change feed keeps failing: customers are polled by schedule only', {
        failures: this.failures,
        problem: reason,
        retryInSeconds: Math.round(backoff / 1000),
      });
    }
    return reason;
  }

  private recovered(): void {
    if (this.warned) this.deps.logger.info('the change feed reads the event log again');
    this.failures = 0;
    this.skipUntil = 0;
    this.warned = false;
  }

  private warnOnce(message: string, attributes: Record<string, unknown>): void {
    if (this.warned) return;
    this.warned = true;
    this.deps.logger.warn(message, attributes);
  }
}
