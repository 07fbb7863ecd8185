// Benchmarks: the figures that decide speed and cost at scale, each against a baseline measured
// in the same run. They print; they never fail a build (the machines are shared and noisy).

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { CapillaryClient } from '../src/adapters/capillary/capillary-client.js';
import { createCursorTable } from '../src/adapters/dynamodb/create-cursor-table.js';
import { encodeCursorItem as encodeItem } from '../src/adapters/dynamodb/cursor-item.js';
import { LEGACY_WATCHLIST_INDEX } from '../src/adapters/dynamodb/due-index.js';
import { dynamoItemSize } from '../src/adapters/dynamodb/dynamodb-item-size.js';
import { DynamoDbQuotaGate } from '../src/adapters/dynamodb/dynamodb-quota-gate.js';
import { startEmbeddedDynamoDb } from '../src/adapters/dynamodb/embedded-dynamodb.js';
import {
  MAX_ENTRIES_PER_PUT_EVENTS,
  MAX_PUT_EVENTS_BYTES,
  packPutEventsBatches,
} from '../src/adapters/eventbridge/put-events-entries.js';
import { CapillaryEventSchema } from '../src/domain/capillary-event.js';
import type { CustomerState } from '../src/domain/customer-state.js';
import {
  advanceCursor,
  detectNewEvents,
  keyWindow,
} from '../src/domain/detect/detect-new-events.js';
import { largestExcess, quotaUse } from '../src/domain/gcra.js';
import { inFlightFor, LatencyEstimate } from '../src/domain/poll/adaptive-concurrency.js';
import type { QuotaGate } from '../src/domain/ports.js';
import { runBundleBench } from './bundle.js';
import { seenEvents, stateWithSeen } from './cursor-item-size.js';
import { runScaleBench } from './scale.js';
import { runSweepBench } from './sweep.js';

const CUSTOMERS = 100_000;
const SWEEPS_PER_MONTH = 60 * 24 * 30;
/** us-east-1 on-demand price per million read request units (2025); edit for your region. */
const USD_PER_MILLION_RRU = 0.125;

const table = (rows: Record<string, string | number>[]) => console.table(rows);
const usd = (value: number) => `$${value.toFixed(2)}`;

type SeenEvents = ReturnType<typeof seenEvents>;

/** The obvious layout, a list of `{ id, at }` maps of the keys themselves. */
function baselineItem(state: CustomerState, events: SeenEvents): Record<string, AttributeValue> {
  const { seen: _seen, ...rest } = encodeItem(state);
  return {
    ...rest,
    seen: {
      L: events.map((entry) => ({ M: { id: { S: entry.id }, at: { N: String(entry.at) } } })),
    },
  };
}

/** The layout before the packed seen set: the keys and their dates in two parallel lists. */
function listsItem(state: CustomerState, events: SeenEvents): Record<string, AttributeValue> {
  const { seen: _seen, ...rest } = encodeItem(state);
  return {
    ...rest,
    ...marshall({
      seenIds: events.map((entry) => entry.id),
      seenAt: events.map((entry) => entry.at),
    }),
  };
}

function scanCost(itemBytes: number) {
  // An eventually consistent Scan costs half a unit per 4 KB read, summed over the page.
  const rruPerSweep = ((CUSTOMERS * itemBytes) / 4096) * 0.5;
  return {
    rruPerSweep: Math.round(rruPerSweep),
    usdPerMonth: (rruPerSweep * SWEEPS_PER_MONTH * USD_PER_MILLION_RRU) / 1e6,
  };
}

/** What the sweep scanned before the due index: every attribute but the seen set. */
const WATCH_ENTRY_ATTRIBUTES: readonly string[] = [
  'customerId',
  ...LEGACY_WATCHLIST_INDEX.nonKeyAttributes,
];

/** A GSI entry: the key, the projected attributes, and DynamoDB's 100 bytes of index overhead. */
function watchlistEntrySize(item: Record<string, AttributeValue>): number {
  const projected = Object.fromEntries(
    Object.entries(item).filter(([name]) => WATCH_ENTRY_ATTRIBUTES.includes(name)),
  );
  return dynamoItemSize(projected) + 100;
}

function benchItemSize() {
  console.log(
    `\n1. What the sweep reads every minute, ${CUSTOMERS.toLocaleString()} customers, 1 sweep a minute`,
  );
  const rows = [];
  for (const seen of [50, 200, 1000]) {
    const events = seenEvents(seen);
    const state = stateWithSeen(events);
    const ours = dynamoItemSize(encodeItem(state));
    const base = dynamoItemSize(baselineItem(state, events));
    const entry = watchlistEntrySize(encodeItem(state));
    rows.push({
      'seen ids': seen,
      'item bytes': ours,
      'item bytes (parallel lists, before)': dynamoItemSize(listsItem(state, events)),
      'item bytes (list of maps)': base,
      'watch entry bytes (before the due index)': entry,
      'Scan of every watch entry $/month (before the due index)': usd(scanCost(entry).usdPerMonth),
      'baseline: Scan table $/month': usd(scanCost(base).usdPerMonth),
    });
  }
  table(rows);
  console.log(
    '   plus, only for customers whose window changed, one consistent GetItem of the item',
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function timeIt(run: () => void, rounds = 7, iterations = 2000): number {
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    for (let index = 0; index < iterations; index++) run();
    samples.push(((performance.now() - started) * 1000) / iterations);
  }
  return median(samples);
}

function benchDetection() {
  console.log(
    '\n2. Detection CPU per customer poll (window of 20, 2 new events), microseconds, median of 7 rounds',
  );
  const rows = [];
  for (const seenSize of [50, 200, 1000]) {
    const seen = seenEvents(seenSize);
    const state = stateWithSeen(seen);
    const known = seen.slice(-18).reverse();
    const events = [randomUUID(), randomUUID(), ...known.map((entry) => entry.id)].map(
      (id, index) =>
        CapillaryEventSchema.parse({
          date: new Date(Date.parse('2026-01-01T00:00:00Z') - index * 1000).toISOString(),
          eventName: 'Bench',
          uniqueId: id,
        }),
    );
    const ours = timeIt(() => {
      const window = keyWindow(events);
      const { fresh } = detectNewEvents(state, window);
      advanceCursor(state, {
        window,
        acknowledged: fresh,
        capacity: 200,
        now: new Date(),
        windowDigest: null,
      });
    });
    // Baseline: linear search of the seen list for each event, as a first implementation would.
    const base = timeIt(() => {
      const window = keyWindow(events);
      const fresh = window.filter((candidate) => !seen.some((entry) => entry.id === candidate.key));
      const merged = [
        ...seen,
        ...fresh.map((candidate) => ({ id: candidate.key, at: candidate.at })),
      ];
      merged.sort((a, b) => a.at - b.at);
    });
    rows.push({
      'seen ids': seenSize,
      'ours (Set)': ours.toFixed(1),
      'baseline (linear)': base.toFixed(1),
    });
  }
  table(rows);
  console.log(
    `   at ${CUSTOMERS.toLocaleString()} customers that is the CPU time of one sweep in ms x 100`,
  );
}

function benchPacking() {
  console.log(
    '\n3. PutEvents requests for one sweep that finds 2 to 4 new events for each of 4,000 customers',
  );
  const perCustomer = Array.from({ length: 4000 }, (_, index) =>
    index % 4 === 0 ? 4 : index % 3 === 0 ? 3 : 2,
  );
  const sizes = [1_200, 3_000, 60_000];
  const rows = sizes.map((bytes) => {
    let packed = 0;
    for (const count of perCustomer) {
      packed += packPutEventsBatches(Array.from({ length: count }, () => ({ size: bytes }))).length;
    }
    const events = perCustomer.reduce((sum, count) => sum + count, 0);
    return {
      'entry bytes': bytes,
      events,
      'requests (packed per customer)': packed,
      'requests (baseline: one per event)': events,
    };
  });
  table(rows);
  console.log(
    `   limits: ${MAX_ENTRIES_PER_PUT_EVENTS} entries and ${MAX_PUT_EVENTS_BYTES} bytes a request`,
  );
}

async function benchSweepThroughput() {
  const latencyMs = 25;
  const customers = 400;
  console.log(
    `\n4. Capillary fetches over loopback HTTP with ${latencyMs} ms simulated API latency, ${customers} customers`,
  );
  const capillary = await slowCapillary(latencyMs);
  const rows = [];
  try {
    for (const concurrency of [1, 8, 32]) {
      const client = new CapillaryClient({
        baseUrl: capillary.baseUrl,
        credentials: undefined,
        timeoutMs: 5000,
        maxAttempts: 1,
        requestsPerSecond: 10_000,
      });
      const perSecond = await drive(client, customers, () => concurrency);
      rows.push({
        concurrency: concurrency === 1 ? '1 (baseline)' : concurrency,
        'customers/s': Math.round(perSecond),
        [`minutes for ${CUSTOMERS.toLocaleString()}`]: (CUSTOMERS / perSecond / 60).toFixed(1),
      });
    }
  } finally {
    await capillary.close();
  }
  table(rows);
  console.log(
    "   Capillary's own rate limit (CAPILLARY_RPS) caps this: 100,000 customers a minute needs ~1,700 requests/s.",
  );
}

/** A loopback Capillary that answers every events request with an empty window after `latencyMs`. */
async function slowCapillary(latencyMs: number) {
  const body = JSON.stringify({ data: [], warnings: [], errors: [] });
  const server = createServer((_request, response) => {
    setTimeout(
      () => response.writeHead(200, { 'content-type': 'application/json' }).end(body),
      latencyMs,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Polls `total` customers through `client`, starting a new one whenever fewer than `limit()` are
 * in flight (what the sweep does with `inFlightLimit`); requests per second achieved.
 */
async function drive(client: CapillaryClient, total: number, limit: () => number) {
  const started = performance.now();
  let next = 0;
  let inFlight = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (inFlight < limit() && next < total) {
        next++;
        inFlight++;
        client.fetchEvents({ customerId: String(next), scope: 'default' }).then(() => {
          inFlight--;
          if (next >= total && inFlight === 0) resolve();
          else pump();
        }, reject);
      }
    };
    pump();
  });
  return total / ((performance.now() - started) / 1000);
}

async function benchQuotaUse() {
  const rate = 200;
  const latencyMs = 50;
  const seconds = 5;
  console.log(
    `\n5. Quota use: achieved requests/s ÷ CAPILLARY_RPS at ${rate} req/s, ${latencyMs} ms simulated Capillary latency, ${seconds} s of budget each`,
  );
  const capillary = await slowCapillary(latencyMs);
  const client = (quota?: QuotaGate, latency?: LatencyEstimate) =>
    new CapillaryClient({
      baseUrl: capillary.baseUrl,
      credentials: undefined,
      timeoutMs: 5000,
      maxAttempts: 1,
      requestsPerSecond: rate,
      burst: 1, // no head start from a full bucket: the steady rate is what is measured
      ...(quota ? { quota } : {}),
      ...(latency ? { onRequest: (report) => latency.observe(report.latencyMs) } : {}),
    });
  const rows: Record<string, string | number>[] = [];
  const row = (label: string, perSecond: number, inFlight: string) =>
    rows.push({
      sizing: label,
      'in flight': inFlight,
      'requests/s': Math.round(perSecond),
      'quota use': (perSecond / rate).toFixed(2),
    });
  const embedded = await mkdtemp(path.join(os.tmpdir(), 'bench-quota-'));
  const dynamo = await startEmbeddedDynamoDb({ directory: embedded });
  try {
    const fixed = await drive(client(), rate * seconds, () => 8);
    row('POLL_CONCURRENCY=8 (baseline)', fixed, '8');

    const latency = new LatencyEstimate();
    const limit = () => inFlightFor(rate, latency.ms);
    const adaptive = await drive(client(undefined, latency), rate * seconds, limit);
    row("adaptive (Little's law)", adaptive, String(limit()));

    // Two pollers sharing the budget through the quota item (embedded dynalite table).
    const dynamoClient = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: dynamo.endpoint.toString(),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const tableName = 'bench-quota';
    await createCursorTable(dynamoClient, tableName);
    const grants: number[] = [];
    const gates = [0, 1].map(
      () =>
        new DynamoDbQuotaGate({
          client: dynamoClient,
          tableName,
          ratePerSecond: rate,
          onGrant: (at) => grants.push(at),
        }),
    );
    await Promise.all(
      gates.map((gate) => {
        const own = new LatencyEstimate();
        return drive(client(gate, own), (rate * seconds) / 2, () => inFlightFor(rate, own.ms));
      }),
    );
    // Its burst is a second of budget: use counts it (grants ÷ (rate × span + burst)).
    const policy = gates[0]?.policy ?? { ratePerSecond: rate, burst: 1 };
    const use = quotaUse(grants, policy);
    const writes = gates.reduce((sum, gate) => sum + gate.writes, 0);
    // Using the budget fully counts only if no window went over it.
    const excess = largestExcess(grants, policy);
    const kept = excess <= 1e-6 ? 'budget kept' : `${excess.toFixed(1)} requests over budget`;
    row(
      `adaptive, 2 pollers, shared gate (${writes} DynamoDB writes, ${kept})`,
      use * rate,
      'each its own',
    );
    dynamoClient.destroy();
  } finally {
    await capillary.close();
    await dynamo.close();
    await rm(embedded, { recursive: true, force: true });
  }
  table(rows);
  console.log(
    '   Goal: ≥ 0.95 while customers are due. The shared gate includes its first blocks and the budget left in the last one.',
  );
}

/**
 * Each case by name: `npm run bench -- scale --json` runs one; `npm run bench` runs them all.
 * `scale --save` also writes the result the docs' figures are generated from.
 */
const CASES: Record<string, (options: { json: boolean; save: boolean }) => void | Promise<void>> = {
  'item-size': benchItemSize,
  detection: benchDetection,
  packing: benchPacking,
  fetch: benchSweepThroughput,
  quota: benchQuotaUse,
  scale: runScaleBench,
  sweep: runSweepBench,
  bundle: runBundleBench,
};

const args = process.argv.slice(2);
const json = args.includes('--json');
const save = args.includes('--save');
const names = args.filter((arg) => !arg.startsWith('--'));
const unknown = names.filter((name) => !(name in CASES));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(CASES).join(', ')}`,
  );
  process.exit(2);
}
if (json && names.length !== 1) {
  console.error('--json prints one object: name exactly one benchmark (for example: scale --json)');
  process.exit(2);
}
if (save && (names.length !== 1 || names[0] !== 'scale')) {
  console.error(
    '--save writes the scale result the docs are generated from: npm run bench -- scale --save',
  );
  process.exit(2);
}
for (const name of names.length > 0 ? names : Object.keys(CASES)) {
  await (CASES[name] as (options: { json: boolean; save: boolean }) => void | Promise<void>)({
    json,
    save,
  });
}
process.exit(0);
