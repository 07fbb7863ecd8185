import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CustomerIdSchema,
  CustomerStateSchema,
  customerIdProblem,
  MAX_CUSTOMER_ID,
  newCustomerState,
} from './customer-state.js';
import { InvalidCustomerIdError } from './errors.js';

describe('customer ids are canonical int64 values', () => {
  it.each([
    ['007', 'a customer id has no leading zeros: write 7 (007 and 7 would be two customers)'],
    ['0007', 'a customer id has no leading zeros: write 7 (007 and 7 would be two customers)'],
    ['0', 'a customer id is at least 1'],
    ['000', 'a customer id is at least 1'],
    ['9223372036854775808', 'a customer id is at most 9223372036854775807 (the int64 maximum)'],
    ['9999999999999999999', 'a customer id is at most 9223372036854775807 (the int64 maximum)'],
    ['12345678901234567890', 'a customer id is at most 9223372036854775807 (the int64 maximum)'],
    ['abc', 'a customer id is 1 to 19 digits (0-9) and nothing else'],
    ['-5', 'a customer id is 1 to 19 digits (0-9) and nothing else'],
    ['', 'a customer id is 1 to 19 digits (0-9) and nothing else'],
    ['1e3', 'a customer id is 1 to 19 digits (0-9) and nothing else'],
  ])('refuses %j', (id, problem) => {
    expect(customerIdProblem(id)).toBe(problem);
    expect(CustomerIdSchema.safeParse(id).error?.issues.map((issue) => issue.message)).toEqual([
      problem,
    ]);
    expect(new InvalidCustomerIdError(id).message).toBe(
      `invalid customer id ${JSON.stringify(id)}: ${problem}`,
    );
  });

  it('accepts 1, 7, the int64 maximum and a real id', () => {
    for (const id of ['1', '7', '564590100', MAX_CUSTOMER_ID]) {
      expect(CustomerIdSchema.safeParse(id).success).toBe(true);
    }
  });

  it('accepts exactly the decimal forms of 1 to 2^63-1 (compared as BigInt, not Number)', () => {
    const max = BigInt(MAX_CUSTOMER_ID);
    fc.assert(
      fc.property(fc.bigInt({ min: -10n, max: max * 2n }), (value) => {
        const accepted = CustomerIdSchema.safeParse(value.toString()).success;
        expect(accepted).toBe(value >= 1n && value <= max);
      }),
      { numRuns: 2000 },
    );
    // Around the maximum, where Number would round 9223372036854775807 and ...808 to one value.
    for (let delta = -3n; delta <= 3n; delta++) {
      const value = max + delta;
      expect(CustomerIdSchema.safeParse(value.toString()).success).toBe(delta <= 0n);
    }
  });

  it('a padded id is refused, never read as its unpadded twin', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: BigInt(MAX_CUSTOMER_ID) }),
        fc.integer({ min: 1, max: 5 }),
        (value, zeros) => {
          expect(CustomerIdSchema.safeParse('0'.repeat(zeros) + value.toString()).success).toBe(
            false,
          );
        },
      ),
    );
  });

  it('shows only the start of a huge pasted value', () => {
    const id = '1'.repeat(10_000);
    expect(new InvalidCustomerIdError(id).message).toBe(
      `invalid customer id "${'1'.repeat(40)}…": a customer id is at most 9223372036854775807 (the int64 maximum)`,
    );
  });

  it('the stored state holds canonical ids only: a padded key is not read as a customer', () => {
    const state = newCustomerState(
      { customerId: '7', scope: 'default', backfill: false },
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(CustomerStateSchema.safeParse(state).success).toBe(true);
    expect(
      CustomerStateSchema.safeParse({ ...state, customerId: '007' }).error?.issues[0]?.message,
    ).toBe('a customer id has no leading zeros: write 7 (007 and 7 would be two customers)');
  });
});
