import { describe, expect, it } from 'vitest';
import { countPolls } from '../domain/poll/poll-summary.js';
import type { SweepSummary } from '../domain/poll/run-sweep.js';
import { QuietSweeps } from './quiet-sweeps.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const quiet = (): SweepSummary => ({
  startedAt: new Date(T0).toISOString(),
  durationMs: 0,
  claimed: 2,
  ...countPolls([]),
  polled: 2,
  requestsSent: undefined,
  requestBudget: undefined,
  corruptItems: 0,
  overdue: 0,
  oldestStalenessSeconds: undefined,
});
const describe1 = (summary: SweepSummary) =>
  `sweep: ${summary.polled} polled, ${summary.newEvents} new, ${summary.failures.length} failed`;

/** What a run of sweeps 5 s apart prints: one entry per sweep, `undefined` when nothing. */
function printed(lines: QuietSweeps, sweeps: SweepSummary[], start = T0) {
  return sweeps.map((summary, index) => lines.after(summary, start + index * 5_000, describe1));
}

describe('QuietSweeps', () => {
  it('prints the first sweep, then sums up quiet sweeps in one line a minute at most', () => {
    const lines = new QuietSweeps();
    const out = printed(lines, Array.from({ length: 30 }, quiet));
    expect(out[0]).toBe('sweep: 2 polled, 0 new, 0 failed');
    const shown = out.filter((line) => line !== undefined);
    // 30 sweeps 5 s apart span 145 s: the first line, then one at 60 s and one at 120 s.
    expect(shown).toEqual([
      'sweep: 2 polled, 0 new, 0 failed',
      'sweep: 12 sweep(s) in 60 s with nothing new, 24 customer poll(s), 0 failed',
      'sweep: 12 sweep(s) in 60 s with nothing new, 24 customer poll(s), 0 failed',
    ]);
    // Ctrl-C: what was counted since the last line is not lost.
    expect(lines.flush(T0 + 150_000)).toBe(
      'sweep: 5 sweep(s) in 30 s with nothing new, 10 customer poll(s), 0 failed',
    );
    expect(lines.flush(T0 + 155_000)).toBeUndefined();
  });

  it('prints a sweep with events or failures at once, and counts quiet ones from it', () => {
    const lines = new QuietSweeps();
    const withEvents = { ...quiet(), newEvents: 1, published: 1 };
    const failing = { ...quiet(), failures: [{ customerId: '7', reason: 'HTTP 503' }] };
    const out = printed(lines, [quiet(), quiet(), withEvents, quiet(), failing, quiet()]);
    expect(out).toEqual([
      'sweep: 2 polled, 0 new, 0 failed',
      undefined,
      'sweep: 2 polled, 1 new, 0 failed',
      undefined,
      'sweep: 2 polled, 0 new, 1 failed',
      undefined,
    ]);
    expect(lines.flush(T0 + 30_000)).toBe(
      'sweep: 1 sweep(s) in 10 s with nothing new, 2 customer poll(s), 0 failed',
    );
  });

  it('treats anything a person should see as not quiet: parked, deferred, overdue, lost claims', () => {
    for (const change of [
      { parked: 1 },
      { baselined: 1 },
      { deferred: 3 },
      { overdue: 1 },
      { claimsLost: 1 },
      { coverageGaps: 1 },
      { conflicts: 1 },
    ]) {
      const lines = new QuietSweeps();
      lines.after(quiet(), T0, describe1);
      expect(
        lines.after({ ...quiet(), ...change }, T0 + 5_000, describe1),
        JSON.stringify(change),
      ).toBeDefined();
    }
  });
});
