// Crash: the CLI poller, SIGKILLed more than 50 times at random points under a steady stream of
// new events (including right after EventBridge accepted a PutEvents, before the cursor write, and
// in the middle of a Capillary fetch), restarted each time, then left to finish with clean polls.
// Nothing may be lost; duplicates (at-least-once) are counted and printed.
import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { deliveryReport, EventStream } from '../support/event-stream.js';
import { EventBridgeDouble } from '../support/eventbridge-double.js';
import { type PollerProcess, runPollerCommand, startPoller } from '../support/poller-process.js';

const CUSTOMERS = Array.from({ length: 12 }, (_, index) => String(700_100 + index));
const KILLS = 54;
const CLAIM_SECONDS = 10;

type KillPoint = 'random' | 'after-put-events' | 'during-fetch';

interface ScheduleClaim {
  customerId: string;
  claimOwner: string | undefined;
  claimedUntil: number | undefined;
  lastPolledAt: number | undefined;
}

function numberOf(value: { N?: string } | undefined): number | undefined {
  return value?.N === undefined ? undefined : Number(value.N);
}

/** Every schedule item's claim and last poll, read straight from the table. */
async function scheduleClaims(client: DynamoDBClient, table: string): Promise<ScheduleClaim[]> {
  const claims: ScheduleClaim[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        ConsistentRead: true,
        FilterExpression: 'begins_with(customerId, :prefix)',
        ExpressionAttributeValues: { ':prefix': { S: 'schedule#' } },
        ...(startKey ? { ExclusiveStartKey: startKey as never } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      claims.push({
        customerId: String(item.customerId?.S).slice('schedule#'.length),
        claimOwner: item.claimOwner?.S,
        claimedUntil: numberOf(item.claimedUntil),
        lastPolledAt: numberOf(item.lastPolledAt),
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return claims;
}

/** A small seeded generator, so a failing run can be replayed with its printed seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

describe('crash: the CLI poller killed with SIGKILL at random points', () => {
  let capillary: CapillaryDouble;
  let eventBridge: EventBridgeDouble;
  let env: Record<string, string>;
  let client: DynamoDBClient;
  let table: string;
  /** Customers whose fetch was under way when the poller died, and when. */
  const killedMidFetch: { customerId: string; at: number }[] = [];

  beforeAll(async () => {
    capillary = await CapillaryDouble.start();
    eventBridge = await EventBridgeDouble.start();
    client = dynamoDbLocalClient();
    table = await createTestTable(client, 'crash');
    env = {
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: 'crash_till',
      CAPILLARY_PASSWORD: 'crash-password',
      CAPILLARY_RPS: '200',
      TABLE_NAME: table,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: 'crash-bus',
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      POLL_INTERVAL_SECONDS: '1',
      MAX_POLL_INTERVAL_SECONDS: '2',
      // Short requests and few attempts, so a poll fits in the short claim these proofs use.
      CAPILLARY_TIMEOUT_MS: '2000',
      CAPILLARY_MAX_ATTEMPTS: '2',
      CLAIM_SECONDS: String(CLAIM_SECONDS),
      LOG_LEVEL: 'WARN',
    };
    await runPollerCommand(['watch', 'add', ...CUSTOMERS, '--backfill'], env);
  });

  afterAll(async () => {
    client?.destroy();
    await capillary?.close();
    await eventBridge?.close();
  });

  it(`loses no event over ${KILLS} kills, and ends with clean polls`, async () => {
    const seed = Date.now() % 1_000_000;
    const random = seeded(seed);
    const stream = new EventStream(capillary, CUSTOMERS);
    // One event every 3 s per customer: a late one (20 s back) stays well inside the window.
    stream.start(250);
    const kills: Record<KillPoint, number> = {
      random: 0,
      'after-put-events': 0,
      'during-fetch': 0,
    };
    const exits: (number | string)[] = [];
    try {
      for (let round = 0; round < KILLS; round++) {
        const planned = (['random', 'after-put-events', 'during-fetch'] as const)[round % 3];
        const poller = startPoller(['poll'], env);
        const point = await killAt(poller, planned ?? 'random', random);
        kills[point]++;
        exits.push(await poller.exited);
        if (point === 'during-fetch') {
          // The poller died holding the customer's claim, which runs to its expiry.
          const { customerId, at } = killedMidFetch.at(-1) as { customerId: string; at: number };
          const claimedUntil = await claimedUntilOf(customerId);
          expect(claimedUntil, `claim of ${customerId} when killed`).toBeGreaterThan(at);
          expect(claimedUntil).toBeLessThanOrEqual(at + CLAIM_SECONDS * 1000);
        }
      }
    } finally {
      stream.stop();
    }

    // No claim runs longer than CLAIM_SECONDS.
    const afterKills = Date.now();
    const claims = await scheduleClaims(client, table);
    expect(claims.map((claim) => claim.customerId).sort()).toEqual([...CUSTOMERS].sort());
    for (const claim of claims) {
      expect(claim.claimedUntil ?? 0).toBeLessThanOrEqual(afterKills + CLAIM_SECONDS * 1000);
    }

    // The dead pollers' claims expire; then clean polls take every customer over and publish
    // whatever is left.
    await sleep(CLAIM_SECONDS * 1000 + 2500);
    const cleanStart = Date.now();
    await runPollerCommand(['poll', '--once'], env);
    await sleep(2500);
    await runPollerCommand(['poll', '--once'], env);

    const report = deliveryReport(stream.served, eventBridge.accepted);
    console.log(
      `crash (seed ${seed}): ${exits.length} kills (${kills.random} at random, ${kills['after-put-events']} right after PutEvents, ${kills['during-fetch']} during a Capillary fetch); ${report.served} events served, ${report.distinct} published, ${report.lost.length} lost, ${report.duplicates} duplicates: duplicate rate ${(100 * report.duplicateRate).toFixed(1)}%`,
    );
    expect(exits.every((code) => code === 'SIGKILL')).toBe(true);
    expect(kills['after-put-events']).toBeGreaterThanOrEqual(10);
    expect(kills['during-fetch']).toBeGreaterThanOrEqual(10);
    expect(report.served).toBeGreaterThan(KILLS * 5);
    expect(report.lost).toEqual([]);
    for (const claim of await scheduleClaims(client, table)) {
      expect(
        claim.lastPolledAt,
        `customer ${claim.customerId} polled after the kills`,
      ).toBeGreaterThanOrEqual(cleanStart);
    }
  });

  async function claimedUntilOf(customerId: string): Promise<number | undefined> {
    const item = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: { customerId: { S: `schedule#${customerId}` } },
        ConsistentRead: true,
      }),
    );
    return numberOf(item.Item?.claimedUntil);
  }

  /** Kills `poller` at `planned`; falls back to a random moment if that point never comes. */
  async function killAt(
    poller: PollerProcess,
    planned: KillPoint,
    random: () => number,
  ): Promise<KillPoint> {
    return new Promise<KillPoint>((resolve) => {
      const removers: (() => void)[] = [];
      const done = (point: KillPoint) => {
        for (const remove of removers) remove();
        clearTimeout(fallback);
        poller.kill();
        resolve(point);
      };
      const fallbackMs = planned === 'random' ? 500 + random() * 3000 : 15_000;
      const fallback = setTimeout(() => done('random'), fallbackMs);
      if (planned === 'after-put-events') {
        removers.push(
          eventBridge.onAnswered((request) => {
            if (request.status === 200 && request.entries.length > 0) done('after-put-events');
          }),
        );
      } else if (planned === 'during-fetch') {
        let skip = Math.floor(random() * 30);
        removers.push(
          capillary.onEventsRequest((request) => {
            if (skip-- > 0) return;
            killedMidFetch.push({ customerId: request.customerId ?? '', at: Date.now() });
            done('during-fetch');
          }),
        );
      }
      poller.exited.then(() => done(planned === 'random' ? 'random' : planned));
    });
  }
});
