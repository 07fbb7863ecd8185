import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inFlightFor, LatencyEstimate } from './adaptive-concurrency.js';

describe('inFlightFor', () => {
  it("sizes by Little's law: 200 req/s at 50 ms needs 10 in flight; with headroom 2, 21", () => {
    expect(inFlightFor(200, 50)).toBe(21);
    expect(inFlightFor(200, 50, { headroom: 1 })).toBe(11);
    // Far above the 8 that capped this budget at 0.74 of its rate.
    expect(inFlightFor(200, 50)).toBeGreaterThan(8);
  });

  it('stays within [1, 256], and within a given upper bound (POLL_CONCURRENCY)', () => {
    expect(inFlightFor(1.6, 0)).toBe(1);
    expect(inFlightFor(10_000, 5_000)).toBe(256);
    expect(inFlightFor(200, 50, { max: 8 })).toBe(8);
    expect(inFlightFor(200, Number.POSITIVE_INFINITY)).toBe(256);
  });

  it('never falls below rate × latency, whatever the inputs', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 2_000, noNaN: true }),
        fc.double({ min: 0, max: 2_000, noNaN: true }),
        (rate, latency) => {
          const size = inFlightFor(rate, latency);
          expect(size).toBeGreaterThanOrEqual(Math.min(256, (rate * latency) / 1000));
          expect(Number.isInteger(size)).toBe(true);
        },
      ),
    );
  });
});

describe('LatencyEstimate', () => {
  it('starts from a guess, takes the first measure, rises fast and falls slowly', () => {
    const estimate = new LatencyEstimate(250);
    expect(estimate.ms).toBe(250);
    estimate.observe(50);
    expect(estimate.ms).toBe(50);
    estimate.observe(150);
    expect(estimate.ms).toBeCloseTo(80);
    estimate.observe(0);
    expect(estimate.ms).toBeCloseTo(76);
    estimate.observe(Number.NaN);
    expect(estimate.ms).toBeCloseTo(76);
  });
});
