import { describe, expect, it } from 'vitest';
import { captureLogger } from '../../../test/support/in-memory-ports.js';
import { intervalAfter } from '../schedule/schedule.js';
import {
  backstopDueShiftMs,
  coverageAfterClaim,
  currentBackstop,
  policyFor,
} from './feed-backstop.js';
import { initialFeedCursor } from './feed-cursor.js';

const T = Date.parse('2026-12-07T12:00:00Z');
const policy = { minIntervalMs: 60_000, maxIntervalMs: 7_200_000 };
const healthy = { intervalMs: 21_600_000, feedHealthy: true };
const down = { ...healthy, feedHealthy: false };

describe('the backstop', () => {
  it('schedules a covered customer under the backstop only while the feed is healthy', () => {
    expect(coverageAfterClaim('bounded', healthy)).toBe('backstop');
    expect(coverageAfterClaim('backstop', healthy)).toBe('backstop');
    expect(coverageAfterClaim('backstop', down)).toBe('bounded');
    expect(coverageAfterClaim('bounded', undefined)).toBe('bounded');
    // No identifier known: the staleness bound, whatever the feed.
    expect(coverageAfterClaim('none', healthy)).toBe('none');
  });

  it('lets idle intervals double up to the backstop instead of the staleness bound', () => {
    const backstopPolicy = policyFor(policy, 'backstop', healthy);
    expect(intervalAfter(backstopPolicy, 20)).toBe(21_600_000);
    expect(intervalAfter(policyFor(policy, 'bounded', healthy), 20)).toBe(7_200_000);
    expect(intervalAfter(policyFor(policy, 'none', healthy), 20)).toBe(7_200_000);
    // Never shorter than the staleness bound.
    const short = { intervalMs: 600_000, feedHealthy: true };
    expect(policyFor(policy, 'backstop', short).maxIntervalMs).toBe(7_200_000);
  });

  it('makes a backstop customer due by the staleness bound while the feed is down', () => {
    expect(backstopDueShiftMs(policy, down)).toBe(21_600_000 - 7_200_000);
    expect(backstopDueShiftMs(policy, healthy)).toBe(0);
    // Polled at T under the backstop: next at T + 6 h; with the feed down, due at T + 2 h.
    const nextPollAt = T + 21_600_000;
    expect(nextPollAt - backstopDueShiftMs(policy, down)).toBe(T + 7_200_000);
  });

  it('trusts a feed that read the log within three of its intervals', async () => {
    const settings = { backstopMs: 21_600_000, feedIntervalMs: 30_000 };
    const readTo = (at: number) => ({
      loadFeedCursor: async () => ({ ...initialFeedCursor(T, 0), readTo: at }),
    });
    expect((await currentBackstop(readTo(T - 90_000), T, settings)).feedHealthy).toBe(true);
    expect((await currentBackstop(readTo(T - 90_001), T, settings)).feedHealthy).toBe(false);
  });

  it('reads the health from the feed cursor, and relies on no feed it cannot read', async () => {
    const settings = { backstopMs: 21_600_000, feedIntervalMs: 30_000 };
    const cursor = { ...initialFeedCursor(T, 0), readTo: T - 10_000 };
    const fresh = { loadFeedCursor: async () => cursor };
    expect(await currentBackstop(fresh, T, settings)).toEqual(healthy);
    const broken = {
      loadFeedCursor: async () => {
        throw new Error('the feed#cursor item cannot be read');
      },
    };
    const logger = captureLogger();
    expect(await currentBackstop(broken, T, settings, logger)).toEqual(down);
    expect(logger.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        attributes: { reason: expect.stringContaining('cannot be read') },
      }),
    ]);
    expect(await currentBackstop(undefined, T, settings)).toEqual(down);
    expect(await currentBackstop({ loadFeedCursor: async () => undefined }, T, settings)).toEqual(
      down,
    );
  });
});
