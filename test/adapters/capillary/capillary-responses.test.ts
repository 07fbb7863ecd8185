import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs } from '../../../src/adapters/capillary/capillary-responses.js';

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-05-08T08:56:57Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('2', now)).toBe(2000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs(['3', '9'], now)).toBe(3000);
  });

  it('reads an HTTP-date relative to now, a past date meaning now', () => {
    expect(parseRetryAfterMs('Thu, 08 May 2025 08:57:07 GMT', now)).toBe(10_000);
    expect(parseRetryAfterMs('Thu, 08 May 2025 08:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs('', now)).toBeUndefined();
    expect(parseRetryAfterMs('-5', now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('12abc', now)).toBeUndefined();
  });
});
