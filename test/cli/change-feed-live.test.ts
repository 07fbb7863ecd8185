// A running `poll` on a real table, with activity tiers on: a dormant customer whose event appears
// in the org-wide log is polled from the priority lane, long before its schedule would have, on
// the table's shared quota, and its event is published once.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { EventBridgeDouble } from '../support/eventbridge-double.js';
import { rawEvents, uniqueIdOf } from '../support/poller-fixtures.js';
import { type CliRun, runCliProcess, shown, startCli } from './cli-process.js';

const FEED_INTERVAL_SECONDS = 5;
const CUSTOMERS = Array.from({ length: 6 }, (_, index) => String(730_000 + index));
const identifierOf = (customerId: string) => `9190000${customerId}`;

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let cwd: string;

beforeAll(async () => {
  capillary = await CapillaryDouble.start();
  eventBridge = await EventBridgeDouble.start();
  cwd = await mkdtemp(path.join(os.tmpdir(), 'feed-live-'));
});
afterAll(async () => {
  await capillary?.close();
  await eventBridge?.close();
  await rm(cwd, { recursive: true, force: true });
});

async function waitFor<T>(what: string, find: () => T | undefined, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const publishedTimes = (uniqueId: string) =>
  eventBridge.accepted.filter((entry) => JSON.stringify(entry).includes(uniqueId)).length;

describe('poll with the change feed, against a real table', () => {
  it('publishes a dormant customer’s event from its log record well before its schedule, once, on the shared quota', async () => {
    const client = dynamoDbLocalClient();
    const table = await createTestTable(client, 'feed-live');
    client.destroy();
    const env = {
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: 'feed_till',
      CAPILLARY_PASSWORD: 'feed-password',
      TABLE_NAME: table,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: 'feed-bus',
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDFEEDLIVE',
      AWS_SECRET_ACCESS_KEY: 'feed-live-secret',
      // Tiers on: after its first poll a customer is next due in five minutes, then ten...
      POLL_INTERVAL_SECONDS: '300',
      MAX_POLL_INTERVAL_SECONDS: '3600',
      CHANGE_FEED_INTERVAL_SECONDS: String(FEED_INTERVAL_SECONDS),
      CAPILLARY_RPS: '5',
    };
    for (const id of CUSTOMERS) capillary.setEvents(id, rawEvents(id, 1, 2));
    capillary.setEventLog([]);
    const ids = path.join(cwd, 'ids.txt');
    await writeFile(ids, CUSTOMERS.map((id) => `${id} ${identifierOf(id)}`).join('\n'));
    const added = await runCliProcess(['watch', 'add', '--file', ids, '--backfill'], { cwd, env });
    expect(added.code, shown(added)).toBe(0);

    const poller = startCli(['poll'], { cwd, env });
    let stopped: CliRun | undefined;
    try {
      // Every customer's backfill is out: now they are all dormant.
      await waitFor(
        'the backfill',
        () => (eventBridge.accepted.length >= 12 ? true : undefined),
        60_000,
      );
      const dormant = CUSTOMERS[3] as string;
      const requestsBefore = capillary.eventRequests(dormant).length;
      await sleep(2_000);
      const at = Date.now();
      capillary.setEvents(dormant, rawEvents(dormant, 1, 3));
      capillary.appendEventLog([
        {
          startTime: at,
          responseTime: 120,
          orgId: 100737,
          status: 'EVENT_SUCCESS',
          eventName: 'purchase',
          inputRequest: JSON.stringify({ event_name: 'purchase', customer: identifierOf(dormant) }),
          id: `log-${dormant}-3`,
          webhookId: 'w-1',
          parentOrgId: -1,
          message: 'Event processed successfully',
        },
      ]);
      const newEvent = uniqueIdOf(dormant, 3);
      await waitFor(
        'the hinted event',
        () => (publishedTimes(newEvent) > 0 ? true : undefined),
        55_000,
      );
      const delaySeconds = (Date.now() - at) / 1000;
      console.log(
        `hinted poll: published ${delaySeconds.toFixed(1)} s after its log record (feed interval ${FEED_INTERVAL_SECONDS} s)`,
      );
      // Its schedule would have waited five minutes: the lane took it.
      expect(delaySeconds).toBeLessThan(60);
      expect(capillary.eventRequests(dormant).length).toBe(requestsBefore + 1);
      // The sweep's line comes when the sweep ends, just after its PutEvents.
      await poller.waitForStderr(/\(1 hinted by the change feed\)/);
      // Once, and everything else once too.
      await sleep(FEED_INTERVAL_SECONDS * 1000);
      expect(publishedTimes(newEvent)).toBe(1);
      const keys = eventBridge.accepted.map((entry) => JSON.stringify(entry.Detail));
      expect(new Set(keys).size).toBe(keys.length);
      // The log reads took from the same budget as the polls: within 5 a second, plus a burst.
      const requests = capillary.requests.map((request) => request.at).sort((a, b) => a - b);
      const seconds = ((requests.at(-1) as number) - (requests[0] as number)) / 1000;
      expect(capillary.eventLogRequests().length).toBeGreaterThan(0);
      expect(requests.length).toBeLessThanOrEqual(5 * seconds + 10);
      poller.child.kill('SIGINT');
      stopped = await poller.done;
      expect(stopped.code, shown(stopped)).toBe(0);
    } finally {
      if (!stopped) poller.child.kill('SIGKILL');
    }
  }, 180_000);
});
