import { describe, expect, it } from 'vitest';
import type { SweepSummary } from '../domain/poll/run-sweep.js';
import { sweepMetrics } from './sweep-metrics.js';

const summary: SweepSummary = {
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 1234,
  claimed: 12,
  polled: 10,
  baselined: 1,
  deferred: 2,
  newEvents: 6,
  published: 4,
  parked: 1,
  conflicts: 0,
  claimsLost: 1,
  coverageGaps: 2,
  overdue: 3,
  oldestStalenessSeconds: 4000,
  requestsSent: 600,
  requestBudget: 1200,
  cursorsOverBudget: 3,
  maxLagMs: 90_500,
  failures: [
    { customerId: '1', reason: 'HTTP 503' },
    { customerId: '2', reason: '1 new event(s) not published' },
  ],
  unpublished: [{ customerId: '2', key: 'k', eventName: 'X', reason: 'throttled' }],
};

describe('sweepMetrics', () => {
  it('maps a sweep to its metrics, counting poll errors apart from unpublished events', () => {
    expect(
      Object.fromEntries(
        sweepMetrics(summary).map((datum) => [datum.name, [datum.value, datum.unit]]),
      ),
    ).toEqual({
      CustomersPolled: [10, 'Count'],
      PollErrors: [1, 'Count'],
      EventsPublished: [4, 'Count'],
      EventsParked: [1, 'Count'],
      EventsUnpublished: [1, 'Count'],
      CustomersDeferred: [2, 'Count'],
      LagSeconds: [90.5, 'Seconds'],
      SweepDuration: [1234, 'Milliseconds'],
      SweepCompleted: [1, 'Count'],
      CustomersClaimed: [12, 'Count'],
      ClaimsLost: [1, 'Count'],
      CustomersOverdue: [3, 'Count'],
      OldestStalenessSeconds: [4000, 'Seconds'],
      CoverageGaps: [2, 'Count'],
      CapillaryRequests: [600, 'Count'],
      QuotaUse: [50, 'Percent'],
      CursorsOverBudget: [3, 'Count'],
    });
  });

  it('reports quota use 0, not a division by zero, when requests are not counted or no time passed', () => {
    const values = (patch: Partial<SweepSummary>) =>
      Object.fromEntries(
        sweepMetrics({ ...summary, ...patch }).map((datum) => [datum.name, datum.value]),
      );
    expect(values({ requestsSent: undefined }).QuotaUse).toBe(0);
    expect(values({ requestBudget: 0 }).QuotaUse).toBe(0);
    expect(values({ oldestStalenessSeconds: undefined }).OldestStalenessSeconds).toBe(0);
  });

  it('reports no lag when nothing was published', () => {
    const names = sweepMetrics({ ...summary, maxLagMs: undefined }).map((datum) => datum.name);
    expect(names).not.toContain('LagSeconds');
  });
});
