/*
 * `npm run bench -- sweep [--json]`: the real CLI `poll --once` (as a child process) against
 * DynamoDB Local and the loopback Capillary double answering after 50 ms, at 1,000 and 5,000
 * customers: the requests per second it achieves between its first and last Capillary request,
 * divided by CAPILLARY_RPS.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCursorTable } from '../src/adapters/dynamodb/create-cursor-table.js';
import { CapillaryDouble } from '../test/support/capillary-double.js';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.js';
import { EventBridgeDouble } from '../test/support/eventbridge-double.js';
import { runPollerCommand } from '../test/support/poller-process.js';

// The SDK warns on Node 20 at every client; the figures are what matters here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const LATENCY_MS = 50;
const CAPILLARY_RPS = 200;
const SIZES = [1_000, 5_000];

interface SweepMeasurement {
  customers: number;
  capillaryRps: number;
  latencyMs: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Achieved requests/s ÷ CAPILLARY_RPS: 1 is the whole budget. */
  quotaUse: number;
}

async function measure(
  customers: number,
  services: { dynamoDb: string; capillary: CapillaryDouble; eventBridge: EventBridgeDouble },
): Promise<SweepMeasurement> {
  const env = {
    CAPILLARY_BASE_URL: services.capillary.url.toString(),
    CAPILLARY_USERNAME: 'bench_till',
    CAPILLARY_PASSWORD: 'bench-password',
    CAPILLARY_RPS: String(CAPILLARY_RPS),
    TABLE_NAME: `bench-sweep-${customers}-${Date.now()}`,
    DYNAMODB_ENDPOINT: services.dynamoDb,
    EVENT_BUS_NAME: 'bench-bus',
    EVENTBRIDGE_ENDPOINT: services.eventBridge.url,
    // Tiers off and a short interval: every customer is due again for the measured sweep.
    POLL_INTERVAL_SECONDS: '1',
    MAX_POLL_INTERVAL_SECONDS: '1',
    LOG_LEVEL: 'ERROR',
  };
  const client = new DynamoDBClient({
    endpoint: services.dynamoDb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    await createCursorTable(client, env.TABLE_NAME);
  } finally {
    client.destroy();
  }
  const ids = Array.from({ length: customers }, (_, index) => String(800_000_000 + index));
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-sweep-')), 'ids.txt');
  writeFileSync(file, `${ids.join('\n')}\n`);
  await runPollerCommand(['watch', 'add', '--file', file], env);
  // The first sweep baselines every customer; the second, the steady state, is measured.
  await runPollerCommand(['poll', '--once'], env);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  services.capillary.clearRequests();
  await runPollerCommand(['poll', '--once'], env);
  const times = services.capillary.eventRequests().map((request) => request.at);
  const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
  const requestsPerSecond = times.length / seconds;
  return {
    customers,
    capillaryRps: CAPILLARY_RPS,
    latencyMs: LATENCY_MS,
    requests: times.length,
    seconds: Number(seconds.toFixed(1)),
    requestsPerSecond: Number(requestsPerSecond.toFixed(1)),
    quotaUse: Number((requestsPerSecond / CAPILLARY_RPS).toFixed(3)),
  };
}

export async function runSweepBench(options: { json: boolean }): Promise<void> {
  const dynamoDb = await startDynamoDbLocal();
  const capillary = await CapillaryDouble.start();
  const eventBridge = await EventBridgeDouble.start();
  capillary.setLatency(LATENCY_MS);
  const results: SweepMeasurement[] = [];
  try {
    for (const customers of SIZES) {
      results.push(
        await measure(customers, { dynamoDb: dynamoDb.endpoint, capillary, eventBridge }),
      );
    }
  } finally {
    await capillary.close();
    await eventBridge.close();
    await dynamoDb.stop();
  }
  // The poller, DynamoDB Local and the double share this machine's cores: say how busy it was.
  const loadAverage = Number(os.loadavg()[0]?.toFixed(1));
  const cores = os.availableParallelism();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ sweeps: results, loadAverage, cores })}\n`);
    return;
  }
  console.log(
    `\nSweep: the CLI's poll --once against DynamoDB Local and a Capillary double answering after ${LATENCY_MS} ms, CAPILLARY_RPS=${CAPILLARY_RPS}`,
  );
  console.table(results);
  console.log(
    `   quotaUse = achieved requests/s ÷ CAPILLARY_RPS (goal: at least 0.95); load average ${loadAverage} on ${cores} cores`,
  );
}
