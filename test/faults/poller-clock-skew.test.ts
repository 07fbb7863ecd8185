// Fault: one of three pollers sharing the Capillary quota has a clock 30 s fast (or slow). Before:
// the others waited up to 32 s for budget and used 0.53 of it, then 0.03 for 12 s after the fast
// one stopped. Three real gates on one DynamoDB Local table, on virtual time: counts, not timings.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbQuotaGate } from '../../src/adapters/dynamodb/dynamodb-quota-gate.js';
import { quotaUse } from '../../src/domain/gcra.js';
import type { Logger } from '../../src/domain/ports.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { VirtualTime } from '../support/virtual-time.js';

const POLICY = { ratePerSecond: 50, burst: 5 };
const TAKERS_PER_POLLER = 2;
const TOGETHER_MS = 20_000;
/** Long enough that the block the stopped poller held (about a second, never given back) is noise. */
const AFTER_STOP_MS = 20_000;
/** A slow shared machine: real DynamoDB writes, one or two per virtual second and poller. */
const TEST_TIMEOUT_MS = 120_000;

let client: DynamoDBClient;

beforeAll(() => {
  client = dynamoDbLocalClient();
});
afterAll(() => {
  client.destroy();
});

interface Poller {
  gate: DynamoDbQuotaGate;
  running: boolean;
  /** True time of each request granted. */
  grants: number[];
  /** True time each take waited. */
  waits: number[];
  refusals: number;
}

/**
 * Three pollers, `TAKERS_PER_POLLER` takers each always wanting to send, the first with its clock
 * `skewMs` off: all three for a phase, then the other two alone for a phase.
 */
async function runSkewed(skewMs: number) {
  const tableName = await createTestTable(client, 'quota-skew');
  const time = new VirtualTime();
  const shared = time.track(client);
  const warnings: { message: string; attributes: Record<string, unknown> | undefined }[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message, attributes) => warnings.push({ message, attributes }),
    error() {},
  };
  const pollers: Poller[] = [skewMs, 0, 0].map((offset) => ({
    gate: new DynamoDbQuotaGate({
      client: shared,
      tableName,
      ...POLICY,
      now: time.clock(offset),
      sleep: time.sleep,
      logger,
    }),
    running: true,
    grants: [],
    waits: [],
    refusals: 0,
  }));
  const takers = pollers.flatMap((poller) =>
    Array.from({ length: TAKERS_PER_POLLER }, async () => {
      while (poller.running) {
        const askedAt = time.now;
        try {
          await poller.gate.take();
        } catch {
          poller.refusals++;
          continue;
        }
        poller.grants.push(time.now);
        poller.waits.push(time.now - askedAt);
      }
    }),
  );
  const start = time.now;
  const stop = start + TOGETHER_MS;
  const end = stop + AFTER_STOP_MS;
  await time.runUntil(stop);
  (pollers[0] as Poller).running = false;
  await time.runUntil(end);
  for (const poller of pollers) poller.running = false;
  await time.runUntil(end + 5_000);
  await Promise.all(takers);

  const between = (from: number, to: number) =>
    pollers.flatMap((poller) => poller.grants).filter((at) => at >= from && at < to);
  return {
    pollers,
    warnings,
    together: between(start, stop),
    afterItStopped: between(stop, end),
    longestWaitMs: Math.max(...pollers.flatMap((poller) => poller.waits)),
  };
}

/** The longest a take waits in the same run with every clock in step: its fair share. */
let fairWaitMs: number;

beforeAll(async () => {
  const inStep = await runSkewed(0);
  expect(inStep.warnings).toEqual([]);
  fairWaitMs = inStep.longestWaitMs;
}, TEST_TIMEOUT_MS);

describe.each([
  { clock: 'fast', skewMs: 30_000 },
  { clock: 'slow', skewMs: -30_000 },
])('one of three pollers with its clock 30 s $clock', ({ skewMs }) => {
  it(
    'keeps the quota used at 0.9–1.1 of the budget, with it and after it stops, and no one waits 2 s past a fair turn',
    async () => {
      const { pollers, warnings, together, afterItStopped } = await runSkewed(skewMs);

      expect(quotaUse(together, POLICY)).toBeGreaterThanOrEqual(0.9);
      expect(quotaUse(together, POLICY)).toBeLessThanOrEqual(1.1);
      expect(quotaUse(afterItStopped, POLICY)).toBeGreaterThanOrEqual(0.9);
      expect(quotaUse(afterItStopped, POLICY)).toBeLessThanOrEqual(1.1);
      for (const poller of pollers) {
        expect(poller.refusals).toBe(0);
        expect(poller.grants.length).toBeGreaterThan(0);
        expect(Math.max(...poller.waits)).toBeLessThanOrEqual(fairWaitMs + 2_000);
      }
      // The skewed clock is noticed and logged, never followed blindly.
      expect(warnings.length).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );
});
