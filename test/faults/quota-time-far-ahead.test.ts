// Fault: the shared quota item's time a month ahead, by a hand edit or written by a poller whose
// clock is a month fast. Before: the wait overflowed its timer (`setTimeout` past 2^31 ms fires at
// once) and the gate stopped limiting: 16,216 requests in 12 s on a 50/s budget. Real gates on
// DynamoDB Local, on virtual time whose timers overflow as Node's do: requests counted.
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbQuotaGate } from '../../src/adapters/dynamodb/dynamodb-quota-gate.js';
import { QUOTA_ITEM_KEY } from '../../src/adapters/dynamodb/quota-item.js';
import { MAX_CLOCK_SKEW_MS } from '../../src/domain/claim/clock-skew.js';
import { largestExcess, quotaUse } from '../../src/domain/gcra.js';
import type { Logger } from '../../src/domain/ports.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { VirtualTime } from '../support/virtual-time.js';

const POLICY = { ratePerSecond: 50, burst: 5 };
const WINDOW_MS = 12_000;
const MONTH_MS = 30 * 24 * 3_600_000;
/** A slow shared machine: real DynamoDB writes, one or two per virtual second and poller. */
const TEST_TIMEOUT_MS = 120_000;

let client: DynamoDBClient;

beforeAll(() => {
  client = dynamoDbLocalClient();
});
afterAll(() => {
  client.destroy();
});

function recordingLogger() {
  const warnings: { message: string; attributes: Record<string, unknown> }[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message, attributes = {}) => warnings.push({ message, attributes }),
    error() {},
  };
  return { logger, warnings };
}

/** Two takers per gate, always wanting to send, for `WINDOW_MS`: the true times of the grants. */
async function takeForAWindow(time: VirtualTime, gates: DynamoDbQuotaGate[]): Promise<number[]> {
  const grants: number[] = [];
  const end = time.now + WINDOW_MS;
  let running = true;
  const takers = gates.flatMap((gate) =>
    [1, 2].map(async () => {
      while (running) {
        await gate.take();
        if (time.now < end) grants.push(time.now);
      }
    }),
  );
  await time.runUntil(end);
  running = false;
  await time.runUntil(end + 10_000);
  await Promise.all(takers);
  return grants;
}

/** Every request the budget allows in the window, the burst included. */
const BUDGET = (POLICY.ratePerSecond * WINDOW_MS) / 1000 + POLICY.burst;

describe('the quota item’s time a month ahead', () => {
  it(
    'by a hand edit: the time is clamped and logged, and the gate goes on limiting',
    async () => {
      const tableName = await createTestTable(client, 'quota-far-ahead');
      const time = new VirtualTime();
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            customerId: { S: QUOTA_ITEM_KEY },
            tat: { N: String(time.now + MONTH_MS) },
            pausedUntil: { N: '0' },
            version: { N: '7' },
            ratePerSecond: { N: '50' },
            updatedAt: { S: new Date(time.now).toISOString() },
          },
        }),
      );
      const { logger, warnings } = recordingLogger();
      const shared = time.track(client);
      const gates = [1, 2].map(
        () =>
          new DynamoDbQuotaGate({
            client: shared,
            tableName,
            ...POLICY,
            now: time.clock(),
            sleep: time.sleep,
            logger,
          }),
      );

      const grants = await takeForAWindow(time, gates);

      expect(grants.length).toBeLessThanOrEqual(BUDGET);
      expect(largestExcess(grants, POLICY)).toBeLessThanOrEqual(1e-6);
      // Not trusted, but not ignored either: the time is read as at most the skew bound ahead, so
      // the budget is used again after that, not a month later.
      expect(grants.length).toBeGreaterThanOrEqual(0.9 * (BUDGET - POLICY.ratePerSecond * 5));
      expect(warnings).toContainEqual({
        message: 'Quota item time too far ahead: clamped, not trusted',
        attributes: expect.objectContaining({
          table: tableName,
          field: 'tat',
          clampedToMs: MAX_CLOCK_SKEW_MS,
        }),
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'written by a poller whose clock is a month fast: the pollers together keep the budget, and it is logged',
    async () => {
      const tableName = await createTestTable(client, 'quota-month-fast');
      const time = new VirtualTime();
      const { logger, warnings } = recordingLogger();
      const shared = time.track(client);
      const gates = [MONTH_MS, 0, 0].map(
        (offset) =>
          new DynamoDbQuotaGate({
            client: shared,
            tableName,
            ...POLICY,
            now: time.clock(offset),
            sleep: time.sleep,
            logger,
          }),
      );
      // The fast poller writes first: the item carries its time, a month ahead.
      await Promise.all([(gates[0] as DynamoDbQuotaGate).take(), time.runUntil(time.now)]);

      const grants = await takeForAWindow(time, gates);

      expect(grants.length).toBeLessThanOrEqual(BUDGET);
      expect(quotaUse(grants, POLICY)).toBeGreaterThanOrEqual(0.9);
      expect(quotaUse(grants, POLICY)).toBeLessThanOrEqual(1.1);
      expect(warnings.map((warning) => warning.message)).toContain(
        'Quota item written by a clock ahead of this poller: read relative to it',
      );
    },
    TEST_TIMEOUT_MS,
  );
});
