// Crash: the CLI poller, SIGKILLed more than 50 times at random points under a steady stream of
// new events (including right after EventBridge accepted a PutEvents, before the cursor write, and
// in the middle of a Capillary fetch), restarted each time, then left to finish with clean polls.
// Nothing may be lost; duplicates (at-least-once) are counted and printed.
import { setTimeout as sleep } from 'node:timers/promises';
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

  beforeAll(async () => {
    capillary = await CapillaryDouble.start();
    eventBridge = await EventBridgeDouble.start();
    const client = dynamoDbLocalClient();
    const table = await createTestTable(client, 'crash');
    client.destroy();
    env = {
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: 'crash_till',
      CAPILLARY_PASSWORD: 'crash-password',
      CAPILLARY_RPS: '200',
      TABLE_NAME: table,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: 'crash-bus',
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      POLL_INTERVAL_SECONDS: '0.5',
      MAX_POLL_INTERVAL_SECONDS: '2',
      CLAIM_SECONDS: String(CLAIM_SECONDS),
      LOG_LEVEL: 'WARN',
    };
    await runPollerCommand(['watch', 'add', ...CUSTOMERS, '--backfill'], env);
  });

  afterAll(async () => {
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
        kills[await killAt(poller, planned ?? 'random', random)]++;
        exits.push(await poller.exited);
      }
    } finally {
      stream.stop();
    }

    // The dead pollers' claims expire; then clean polls publish whatever is left.
    await sleep(CLAIM_SECONDS * 1000 + 2500);
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
  });

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
          capillary.onEventsRequest(() => {
            if (skip-- <= 0) done('during-fetch');
          }),
        );
      }
      poller.exited.then(() => done(planned === 'random' ? 'random' : planned));
    });
  }
});
