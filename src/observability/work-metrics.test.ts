import { describe, expect, it } from 'vitest';
import type { WorkSummary } from '../domain/poll/poll-work.js';
import type { TickSummary } from '../domain/schedule/schedule-tick.js';
import { tickMetrics } from './tick-metrics.js';
import { workMetrics } from './work-metrics.js';

const summary: WorkSummary = {
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
  notTakenOver: 0,
  cursorsOverBudget: 3,
  maxLagMs: 90_500,
  failures: [
    { customerId: '1', reason: 'HTTP 503' },
    { customerId: '2', reason: '1 new event(s) not published' },
  ],
  unpublished: [{ customerId: '2', key: 'k', eventName: 'X', reason: 'throttled' }],
  requestsSent: 600,
  requestBudget: 1200,
  unstarted: 0,
};

const tick: TickSummary = {
  startedAt: '2026-01-01T00:00:00.000Z',
  durationMs: 800,
  claimed: 12,
  queued: 12,
  notQueued: [],
  claimErrors: 1,
  corruptItems: 1,
  deferred: 40,
  overdue: 3,
  oldestStalenessSeconds: 4000,
};

const names = (data: { name: string }[]) => data.map((datum) => datum.name);

describe('workMetrics', () => {
  it('maps a worker’s message to its metrics, counting poll errors apart from unpublished events', () => {
    expect(
      Object.fromEntries(
        workMetrics(summary).map((datum) => [datum.name, [datum.value, datum.unit]]),
      ),
    ).toEqual({
      CustomersPolled: [10, 'Count'],
      PollErrors: [1, 'Count'],
      EventsPublished: [4, 'Count'],
      EventsParked: [1, 'Count'],
      EventsUnpublished: [1, 'Count'],
      CustomersDeferred: [2, 'Count'],
      LagSeconds: [90.5, 'Seconds'],
      ClaimsLost: [1, 'Count'],
      CoverageGaps: [2, 'Count'],
      CapillaryRequests: [600, 'Count'],
      QuotaUse: [50, 'Percent'],
      CursorsOverBudget: [3, 'Count'],
    });
  });

  it('shares no metric with the tick but CustomersDeferred: a worker’s share says nothing of the whole', () => {
    // CustomersClaimed, CustomersOverdue, OldestStalenessSeconds, SweepCompleted (the
    // no-scheduler-run alarm) and SweepDuration are the tick's alone.
    const shared = names(workMetrics(summary)).filter((name) =>
      names(tickMetrics(tick)).includes(name),
    );
    expect(shared).toEqual(['CustomersDeferred']);
  });

  it('reports quota use 0, not a division by zero, when requests are not counted or no time passed', () => {
    const values = (patch: Partial<WorkSummary>) =>
      Object.fromEntries(
        workMetrics({ ...summary, ...patch }).map((datum) => [datum.name, datum.value]),
      );
    expect(values({ requestsSent: undefined }).QuotaUse).toBe(0);
    expect(values({ requestBudget: 0 }).QuotaUse).toBe(0);
  });

  it('reports no lag when nothing was published', () => {
    expect(names(workMetrics({ ...summary, maxLagMs: undefined }))).not.toContain('LagSeconds');
  });
});
