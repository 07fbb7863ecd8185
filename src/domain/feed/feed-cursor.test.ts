import { describe, expect, it } from 'vitest';
import { advanceFeedCursor, feedRecordKey, initialFeedCursor } from './feed-cursor.js';

/** Record ids the feed cursor keeps. */
const MAX_FEED_CURSOR_IDS = 5_000;

describe('the feed cursor', () => {
  it('starts the look-back before now', () => {
    expect(initialFeedCursor(10_000_000, 3_600_000)).toEqual({
      readTo: 6_400_000,
      recent: [],
      version: 0,
    });
  });

  it('keeps the ids of the overlap only (their digests), newest first, and never moves back', () => {
    const cursor = {
      readTo: 100_000,
      recent: [
        [feedRecordKey('old'), 70_000],
        [feedRecordKey('kept'), 95_000],
      ] as [string, number][],
      version: 3,
    };
    const next = advanceFeedCursor(
      cursor,
      130_000,
      [
        { id: 'new', startTime: 125_000 },
        { id: 'mid', startTime: 109_999 },
      ],
      20_000,
    );
    expect(next).toEqual({
      readTo: 130_000,
      recent: [[feedRecordKey('new'), 125_000]],
      version: 3,
    });
    expect(feedRecordKey('new')).toMatch(/^[0-9a-f]{16}$/);
    expect(advanceFeedCursor(cursor, 90_000, [], 20_000).readTo).toBe(100_000);
  });

  it('holds at most its cap of ids, the newest', () => {
    const records = Array.from({ length: MAX_FEED_CURSOR_IDS + 10 }, (_, i) => ({
      id: `r${i}`,
      startTime: i,
    }));
    const next = advanceFeedCursor(
      initialFeedCursor(0, 0),
      MAX_FEED_CURSOR_IDS + 10,
      records,
      1_000_000,
    );
    expect(next.recent).toHaveLength(MAX_FEED_CURSOR_IDS);
    expect(next.recent[0]).toEqual([
      feedRecordKey(`r${MAX_FEED_CURSOR_IDS + 9}`),
      MAX_FEED_CURSOR_IDS + 9,
    ]);
  });
});
