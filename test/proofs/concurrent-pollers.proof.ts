// Several CLI `poll` processes on one table, as several terminals (or a CLI beside the Lambda):
// they share the Capillary budget and each customer is polled by one of them at a time, so
// nothing is published twice and nothing is lost.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { deliveryReport, EventStream } from '../support/event-stream.js';
import { EventBridgeDouble } from '../support/eventbridge-double.js';
import { runPollerCommand, startPoller } from '../support/poller-process.js';

const POLLERS = 3;

/** Most requests in any window of `windowMs`, over sorted request times (ms). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while ((times[last] as number) - (times[first] as number) >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe('concurrent CLI pollers on one table', () => {
  let capillary: CapillaryDouble;
  let eventBridge: EventBridgeDouble;

  beforeAll(async () => {
    capillary = await CapillaryDouble.start();
    eventBridge = await EventBridgeDouble.start();
  });

  beforeEach(() => {
    capillary.reset();
    eventBridge.reset();
  });

  afterAll(async () => {
    await capillary?.close();
    await eventBridge?.close();
  });

  async function environment(label: string, settings: Record<string, string>) {
    const client = dynamoDbLocalClient();
    const table = await createTestTable(client, label);
    client.destroy();
    return {
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: 'fleet_till',
      CAPILLARY_PASSWORD: 'fleet-password',
      TABLE_NAME: table,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: 'fleet-bus',
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      CLAIM_SECONDS: '10',
      LOG_LEVEL: 'WARN',
      ...settings,
    };
  }

  /** Runs `POLLERS` `poll` processes for `seconds` under a stream of events, then clean polls. */
  async function runTogether(
    env: Record<string, string>,
    customers: string[],
    options: { seconds: number; eventEveryMs: number },
  ) {
    for (let index = 0; index < customers.length; index += 200) {
      await runPollerCommand(
        ['watch', 'add', ...customers.slice(index, index + 200), '--backfill'],
        env,
      );
    }
    const stream = new EventStream(capillary, customers);
    const pollers = Array.from({ length: POLLERS }, () => startPoller(['poll'], env));
    stream.start(options.eventEveryMs);
    await sleep(options.seconds * 1000);
    stream.stop();
    // Time for the last events to be seen, then Ctrl-C: each finishes its sweep and exits.
    await sleep(3000);
    const codes = await Promise.all(pollers.map((poller) => poller.stop()));
    const together = capillary.eventRequests().map((request) => request.at);
    await sleep(2500);
    await runPollerCommand(['poll', '--once'], env);
    return {
      report: deliveryReport(stream.served, eventBridge.accepted),
      codes,
      stderr: pollers.map((poller) => poller.stderr()),
      requestTimes: together.sort((a, b) => a - b),
    };
  }

  it('publish no event twice and lose none, with no quota pressure', async () => {
    const customers = Array.from({ length: 10 }, (_, index) => String(710_000 + index));
    const env = await environment('live-pollers', {
      CAPILLARY_RPS: '500',
      POLL_INTERVAL_SECONDS: '0.2',
      MAX_POLL_INTERVAL_SECONDS: '1',
    });
    const { report, codes, stderr } = await runTogether(env, customers, {
      seconds: 20,
      eventEveryMs: 100,
    });
    console.log(
      `${POLLERS} live pollers: ${report.served} events served, ${report.distinct} published, ${report.lost.length} lost, ${report.duplicates} duplicates`,
    );
    expect(codes, stderr.join('\n')).toEqual(codes.map(() => 0));
    expect(report.served).toBeGreaterThan(100);
    expect(report.lost).toEqual([]);
    expect(report.duplicates).toBe(0);
  });

  it('stay within one shared budget together and keep it busy', async () => {
    const rate = 20;
    const customers = Array.from({ length: 150 }, (_, index) => String(720_000 + index));
    capillary.setLatency(50);
    const env = await environment('shared-quota', {
      CAPILLARY_RPS: String(rate),
      POLL_INTERVAL_SECONDS: '1',
      MAX_POLL_INTERVAL_SECONDS: '5',
    });
    const { report, codes, stderr, requestTimes } = await runTogether(env, customers, {
      seconds: 20,
      eventEveryMs: 250,
    });
    const burst = rate; // the gate's burst: about a second's worth
    const windows = [1000, 2000, 5000, 10_000].map((windowMs) => ({
      windowMs,
      most: busiestWindow(requestTimes, windowMs),
      allowed: (rate * windowMs) / 1000 + burst,
    }));
    const span = (requestTimes.at(-1) ?? 0) - (requestTimes[0] ?? 0);
    // Busy: requests over the span the three ran, against what the budget allowed in it.
    const use = requestTimes.length / ((rate * span) / 1000);
    console.log(
      `${POLLERS} pollers sharing CAPILLARY_RPS=${rate}: ${requestTimes.length} requests in ${(span / 1000).toFixed(1)} s, quota use ${use.toFixed(2)}; busiest windows ${windows.map((w) => `${w.most}/${w.allowed} in ${w.windowMs / 1000} s`).join(', ')}; ${report.lost.length} lost, ${report.duplicates} duplicates`,
    );
    expect(codes, stderr.join('\n')).toEqual(codes.map(() => 0));
    for (const window of windows) expect(window.most).toBeLessThanOrEqual(window.allowed);
    expect(use).toBeGreaterThanOrEqual(0.8);
    expect(report.lost).toEqual([]);
    expect(report.duplicates).toBe(0);
  });
});
