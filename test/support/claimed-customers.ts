// Claimed customers as the scheduler queues them, for work-queue and worker tests.
import type { ClaimedCustomer } from '../../src/domain/claim/claimed-customer.js';

export function claimedCustomer(
  customerId: string,
  overrides: Partial<ClaimedCustomer> = {},
): ClaimedCustomer {
  const now = Date.UTC(2025, 4, 8, 9, 0, 0);
  return {
    customerId,
    scope: 'default',
    mode: 'tracking',
    windowDigest: null,
    idlePolls: 0,
    lastPolledAt: null,
    nextPollAt: now + 60_000,
    claimOwner: 'tick-test',
    claimedUntil: now + 120_000,
    ...overrides,
  };
}

export function claimedCustomers(count: number, firstId = 1000): ClaimedCustomer[] {
  return Array.from({ length: count }, (_, index) => claimedCustomer(String(firstId + index)));
}
