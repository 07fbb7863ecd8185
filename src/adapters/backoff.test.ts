import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 'equal' } as const;

  it('doubles the ceiling each attempt, jittered between half and all of it', () => {
    expect(backoffDelayMs(1, options, () => 0)).toBe(50);
    expect(backoffDelayMs(1, options, () => 1)).toBe(100);
    expect(backoffDelayMs(2, options, () => 0.5)).toBe(150);
    expect(backoffDelayMs(3, options, () => 1)).toBe(400);
  });

  it('caps the ceiling', () => {
    expect(backoffDelayMs(30, options, () => 1)).toBe(1000);
    expect(backoffDelayMs(30, options, () => 0)).toBe(500);
  });

  it('draws anywhere below the ceiling with full jitter', () => {
    const full = { baseDelayMs: 100, maxDelayMs: 300, jitter: 'full' } as const;
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, full, () => 0.999))).toEqual([
      99, 199, 299, 299,
    ]);
    expect(backoffDelayMs(1, full, () => 0)).toBe(0);
  });
});
