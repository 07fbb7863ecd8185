// Next-poll and claim times written by a poller whose clock runs fast, against DynamoDB Local: a
// time further ahead than a sound clock could have written (the longest interval or claim, plus
// MAX_CLOCK_SKEW_MS) holds no customer hostage; it is treated as due or expired, and logged.
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { claimThenCountBacklog } from '../../src/domain/claim/claim-due.js';
import type { ClaimedCustomer } from '../../src/domain/claim/claimed-customer.js';
import { MAX_CLOCK_SKEW_MS } from '../../src/domain/claim/clock-skew.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import type { SchedulePolicy } from '../../src/domain/schedule/schedule.js';
import { dynamoDbLocalClient, freshCursorStore } from '../support/dynamodb-local.js';
import { capturingLogger } from '../support/poller-fixtures.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const NOW = T0 + 600_000;
const policy: SchedulePolicy = { minIntervalMs: 60_000, maxIntervalMs: 3_600_000 };
const CLAIM_MS = 120_000;

let client: DynamoDBClient;
beforeAll(() => {
  client = dynamoDbLocalClient();
});
afterAll(() => client.destroy());

async function setSchedule(
  tableName: string,
  customerId: string,
  values: { nextPollAt: number; claimedUntil?: number },
) {
  await client.send(
    new UpdateItemCommand({
      TableName: tableName,
      Key: { customerId: { S: `schedule#${customerId}` } },
      UpdateExpression:
        values.claimedUntil === undefined
          ? 'SET nextPollAt = :next'
          : 'SET nextPollAt = :next, claimedUntil = :until, claimOwner = :owner',
      ExpressionAttributeValues: {
        ':next': { N: String(values.nextPollAt) },
        ...(values.claimedUntil === undefined
          ? {}
          : {
              ':until': { N: String(values.claimedUntil) },
              ':owner': { S: 'tick-of-a-fast-clock' },
            }),
      },
    }),
  );
}

async function claimEverythingDue(store: DynamoDbCursorStore) {
  const { logger, lines } = capturingLogger();
  const claimed: ClaimedCustomer[] = [];
  await claimThenCountBacklog(
    { store, clock: () => new Date(NOW), logger },
    { owner: 'tick-sound', now: NOW, policy, claimMs: CLAIM_MS },
    async (claims) => {
      for await (const claim of claims) claimed.push(claim);
    },
  );
  return { claimed: claimed.map((claim) => claim.customerId).sort(), lines };
}

describe('times written by a fast clock', () => {
  it('treats a claim expiring beyond the longest claim plus the skew bound as expired, and logs it', async () => {
    const { store, tableName } = await freshCursorStore(client, 'fast-claims', { now: () => T0 });
    for (const customerId of ['8001', '8002', '8003']) {
      await store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: false }, new Date(T0)),
      );
    }
    // An hour ahead: a fast clock's (or a hand edit's).
    await setSchedule(tableName, '8001', { nextPollAt: T0, claimedUntil: NOW + 3_600_000 });
    // A live claim, as long as ours: held.
    await setSchedule(tableName, '8002', { nextPollAt: T0, claimedUntil: NOW + CLAIM_MS });
    // Within the skew bound: held too, a slightly fast clock is not a broken one.
    await setSchedule(tableName, '8003', {
      nextPollAt: T0,
      claimedUntil: NOW + CLAIM_MS + MAX_CLOCK_SKEW_MS - 1,
    });

    const { claimed, lines } = await claimEverythingDue(store);
    expect(claimed).toEqual(['8001']);
    expect(lines).toContainEqual({
      level: 'warn',
      message: 'Claim expiring beyond the clock-skew bound treated as expired',
      attributes: { customerId: '8001', claimedUntil: new Date(NOW + 3_600_000).toISOString() },
    });
  });

  it('treats a next poll beyond the longest interval plus the skew bound as due, and logs it', async () => {
    const { store, tableName } = await freshCursorStore(client, 'fast-next', { now: () => T0 });
    for (const customerId of ['8101', '8102', '8103']) {
      await store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: false }, new Date(T0)),
      );
    }
    // A day ahead: no sound clock sets a next poll past the longest interval.
    await setSchedule(tableName, '8101', { nextPollAt: NOW + 86_400_000 });
    // The longest interval (plus the skew bound): a customer at its idle tier, not due.
    await setSchedule(tableName, '8102', {
      nextPollAt: NOW + policy.maxIntervalMs + MAX_CLOCK_SKEW_MS,
    });
    // Due now.
    await setSchedule(tableName, '8103', { nextPollAt: NOW - 1 });

    const { claimed, lines } = await claimEverythingDue(store);
    expect(claimed).toEqual(['8101', '8103']);
    expect(lines).toContainEqual({
      level: 'warn',
      message: 'Next poll time beyond the clock-skew bound treated as due',
      attributes: { customerId: '8101', nextPollAt: new Date(NOW + 86_400_000).toISOString() },
    });
    // Claimed like any due customer: its next poll is a sound one now.
    const again = await claimEverythingDue(store);
    expect(again.claimed).toEqual([]);
  });
});
