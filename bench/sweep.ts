/*
 * `npm run bench -- sweep [--json]`: the real sweep (settings, adapters and `runSweep` as the CLI
 * builds them) against DynamoDB Local and the loopback Capillary double answering after 50 ms, at
 * 1,000 and 5,000 customers: the requests per second it achieves, divided by CAPILLARY_RPS.
 */
import { PassThrough } from 'node:stream';
import { mapConcurrently } from '../src/cli/customer-id-list.js';
import { loadSettings } from '../src/config/settings.js';
import { newCustomerState } from '../src/domain/customer-state.js';
import type { Logger } from '../src/domain/ports.js';
import { runSweep } from '../src/domain/run-sweep.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { CapillaryDouble } from '../test/support/capillary-double.js';
import { startDynamoDbLocal } from '../test/support/dynamodb-local.js';
import { EventBridgeDouble } from '../test/support/eventbridge-double.js';

// The SDK warns on Node 20 at every client; the figures are what matters here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const LATENCY_MS = 50;
const CAPILLARY_RPS = 200;
const SIZES = [1_000, 5_000];

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface SweepMeasurement {
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
  const settings = loadSettings(
    {
      CAPILLARY_BASE_URL: services.capillary.url.toString(),
      CAPILLARY_USERNAME: 'bench_till',
      CAPILLARY_PASSWORD: 'bench-password',
      CAPILLARY_RPS: String(CAPILLARY_RPS),
      TABLE_NAME: `bench-sweep-${customers}-${Date.now()}`,
      DYNAMODB_ENDPOINT: services.dynamoDb,
      EVENT_BUS_NAME: 'bench-bus',
      EVENTBRIDGE_ENDPOINT: services.eventBridge.url,
      AWS_REGION: 'us-east-1',
      LOG_LEVEL: 'SILENT',
    },
    { allowEmbedded: false },
  );
  const runtime = await createRuntime(settings, {
    logger: silent,
    stdout: new PassThrough(),
    forPolling: true,
  });
  try {
    await runtime.ensureTable();
    const ids = Array.from({ length: customers }, (_, index) => String(800_000_000 + index));
    const now = new Date();
    await mapConcurrently(ids, 32, (customerId) =>
      runtime.store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: false }, now),
      ),
    );
    const deps = await runtime.pollDependencies();
    const options = {
      concurrency: settings.poll.concurrency,
      psiMode: settings.poll.psiMode,
      seenCapacity: settings.poll.seenCapacity,
      version: runtime.version,
    };
    // The first sweep baselines every customer; the second is the steady state measured.
    await runSweep(deps, options);
    services.capillary.clearRequests();
    const started = performance.now();
    await runSweep(deps, options);
    const seconds = (performance.now() - started) / 1000;
    const requests = services.capillary.eventRequests().length;
    const requestsPerSecond = requests / seconds;
    return {
      customers,
      capillaryRps: CAPILLARY_RPS,
      latencyMs: LATENCY_MS,
      requests,
      seconds: Number(seconds.toFixed(1)),
      requestsPerSecond: Number(requestsPerSecond.toFixed(1)),
      quotaUse: Number((requestsPerSecond / CAPILLARY_RPS).toFixed(3)),
    };
  } finally {
    await runtime.close();
  }
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
