// The cursor item against DynamoDB Local's real 400 KB item limit: long ids, the largest seen
// capacity and huge windows are saved on every poll, and nothing is emitted twice. An entry takes
// 14 bytes whatever its id, so only a window of more than about 25,000 events outgrows the budget.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { type CustomerState, newCustomerState } from '../../src/domain/customer-state.js';
import { cursorItemBytes, MAX_CURSOR_ITEM_BYTES } from '../../src/domain/detect/cursor-budget.js';
import { seenEntry } from '../../src/domain/detect/seen-digest.js';
import { runSweep, type SweepSummary } from '../../src/domain/poll/run-sweep.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { captureLogger, RecordingPublisher, ScriptedSource } from '../support/in-memory-ports.js';

const BASE = Date.parse('2025-01-01T00:00:00Z');

let dynamo: DynamoDBClient;
let store: DynamoDbCursorStore;

beforeAll(async () => {
  dynamo = dynamoDbLocalClient();
  store = new DynamoDbCursorStore({
    client: dynamo,
    tableName: await createTestTable(dynamo, 'budget'),
  });
});

afterAll(() => {
  dynamo.destroy();
});

/** Minimal events `from..to` (newest first) with ids of exactly `idLength` characters. */
function window(from: number, to: number, idLength: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let n = to; n >= from; n--) {
    events.push({
      uniqueId: `${n}-`.padEnd(idLength, 'i'),
      eventName: 'E',
      date: new Date(BASE + n * 1_000).toISOString(),
    });
  }
  return events;
}

async function setUp(customerId: string) {
  await store.addCustomer(
    newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
  );
  const source = new ScriptedSource();
  const publisher = new RecordingPublisher();
  const logger = captureLogger();
  const sweep = (seenCapacity: number): Promise<SweepSummary> =>
    runSweep(
      { source, store, publisher, logger, clock: () => new Date() },
      {
        concurrency: 1,
        psiMode: 'mask',
        seenCapacity,
        version: 'budget',
        policy: { minIntervalMs: 0, maxIntervalMs: 0 },
        claimSeconds: 60,
      },
    );
  return { source, publisher, logger, sweep };
}

function expectOnce(keys: readonly string[]): void {
  expect(new Set(keys).size).toBe(keys.length);
}

describe('the cursor item within its byte budget, saved in DynamoDB Local', () => {
  it('SEEN_CAPACITY 4000 with 100-character ids: every poll saves, the new events once each', async () => {
    // 4,000 such ids took about 440 KB as a list of keys; as digests they take 56 KB.
    const { source, publisher, sweep } = await setUp('8001');
    const seeded = await store.getCustomer('8001');
    const seen = window(0, 2_999, 100)
      .reverse()
      .map((event) => seenEntry(String(event.uniqueId), Date.parse(String(event.date))));
    await store.saveState({ ...(seeded as CustomerState), mode: 'tracking', seen, version: 1 }, 0);
    for (let pollNumber = 0; pollNumber < 6; pollNumber++) {
      const from = 3_000 + pollNumber * 200;
      source.setWindow('8001', window(from, from + 199, 100));
      const summary = await sweep(4_000);
      expect(summary.failures).toEqual([]);
      expect(summary.published).toBe(200);
    }
    expectOnce(publisher.published.map((event) => event.key));
    const state = await store.getCustomer('8001');
    expect(cursorItemBytes(state as CustomerState)).toBeLessThanOrEqual(MAX_CURSOR_ITEM_BYTES);
    expect(state?.seen).toHaveLength(4_000);
  });

  it('a window of 11,000 events with 36-character ids is emitted once, then only what is new', async () => {
    const { source, publisher, sweep } = await setUp('8002');
    source.setWindow('8002', window(0, 10_999, 36));
    const first = await sweep(200);
    expect(first).toMatchObject({ failures: [], published: 11_000, cursorsOverBudget: 0 });
    source.setWindow('8002', window(10, 11_009, 36));
    const second = await sweep(200);
    expect(second).toMatchObject({ failures: [], published: 10 });
    expectOnce(publisher.published.map((event) => event.key));
  });

  it('a window of 30,000 events does not fit: reported, still emitted once', async () => {
    const { source, publisher, logger, sweep } = await setUp('8003');
    source.setWindow('8003', window(0, 29_999, 100));
    const first = await sweep(200);
    expect(first).toMatchObject({ failures: [], published: 30_000, cursorsOverBudget: 1 });
    const report = logger.lines.find((line) =>
      line.message.startsWith('Cursor over its byte budget'),
    );
    expect(report?.level).toBe('error');
    expect(report?.attributes).toMatchObject({
      customerId: '8003',
      budgetBytes: MAX_CURSOR_ITEM_BYTES,
      itemBytes: expect.any(Number),
      evictedInWindow: expect.any(Number),
    });

    // The same window again, then a slide: nothing twice, the new ones once.
    const again = await sweep(200);
    expect(again.published).toBe(0);
    source.setWindow('8003', window(100, 30_099, 100));
    const slid = await sweep(200);
    expect(slid).toMatchObject({ failures: [], published: 100 });
    expectOnce(publisher.published.map((event) => event.key));
    const state = await store.getCustomer('8003');
    expect(cursorItemBytes(state as CustomerState)).toBeLessThanOrEqual(MAX_CURSOR_ITEM_BYTES);
  });
});
