import { describe, expect, it } from 'vitest';
import type { SweepSummary } from '../../domain/poll/run-sweep.js';
import { describeSummary, wakeDelayMs } from './poll.js';

const summary = (failures: number): SweepSummary => ({
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 42,
  claimed: 3,
  polled: 3,
  baselined: 0,
  deferred: 0,
  newEvents: 2,
  published: 2,
  parked: 0,
  conflicts: 0,
  claimsLost: 0,
  coverageGaps: 0,
  notTakenOver: 0,
  cursorsOverBudget: 0,
  corruptItems: 0,
  overdue: 0,
  oldestStalenessSeconds: 60,
  requestsSent: 3,
  requestBudget: 4.2,
  maxLagMs: 1000,
  failures: Array.from({ length: failures }, (_, index) => ({
    customerId: String(index + 1),
    reason: 'HTTP 503',
  })),
  unpublished: [],
});

describe('describeSummary', () => {
  it('says what the sweep did in one line, then one line per failed customer', () => {
    expect(describeSummary(summary(1))).toBe(
      'sweep: 3 customer(s) polled, 2 new event(s), 2 published, 1 failed in 42 ms\n' +
        '  failed 1: HTTP 503',
    );
  });

  it('lists 20 failures at most and counts the rest', () => {
    const lines = describeSummary(summary(25)).split('\n');
    expect(lines).toHaveLength(22);
    expect(lines.at(-1)).toBe('  … and 5 more (all of them with --json)');
  });
});

describe('the common-failure hint', () => {
  const failing = (reasons: string[]): SweepSummary => ({
    ...summary(0),
    polled: 0,
    failures: reasons.map((reason, index) => ({ customerId: String(index + 1), reason })),
  });
  const unreachable = (id: number) =>
    `Capillary events request for customer ${id} failed (no HTTP response, 2 attempts): connect ECONNREFUSED 127.0.0.1:9`;
  const refused = (id: number) =>
    `Capillary events request for customer ${id} failed (HTTP 401, 2 attempts): unauthorized`;

  it('names CAPILLARY_BASE_URL once when no customer could reach Capillary', () => {
    const text = describeSummary(failing([unreachable(1), unreachable(2), unreachable(3)]));
    expect(text.split('\n').at(-1)).toMatch(/^hint: .*check CAPILLARY_BASE_URL/);
    expect(text.match(/hint:/g)).toHaveLength(1);
  });

  it('names the credentials when every customer got a 401', () => {
    expect(
      describeSummary(failing([refused(1), refused(2)]))
        .split('\n')
        .at(-1),
    ).toMatch(/^hint: .*check CAPILLARY_USERNAME and CAPILLARY_PASSWORD/);
  });

  it('says nothing when causes differ or some customer succeeded', () => {
    expect(describeSummary(failing([unreachable(1), refused(2)]))).not.toMatch(/hint:/);
    expect(describeSummary({ ...failing([unreachable(1)]), polled: 1 })).not.toMatch(/hint:/);
  });
});

describe('the poll loop', () => {
  it('wakes when the next customer is due, at most one interval on, and never spins', () => {
    expect(wakeDelayMs(10_000, 4_000, 60_000, 3)).toBe(6_000);
    expect(wakeDelayMs(undefined, 4_000, 60_000, 0)).toBe(60_000);
    expect(wakeDelayMs(10_000_000, 4_000, 60_000, 0)).toBe(60_000);
    // Still due after a sweep that hit its budget: the next sweep follows almost at once.
    expect(wakeDelayMs(1_000, 4_000, 60_000, 50)).toBe(50);
    // Due but unclaimable (another poller holds them): a second, not a busy loop.
    expect(wakeDelayMs(1_000, 4_000, 60_000, 0)).toBe(1_000);
  });
});
