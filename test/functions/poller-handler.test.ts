// The scheduled Lambda handler, imported with its environment pointing at DynamoDB Local and the
// Capillary and EventBridge doubles: one sweep per invocation, EMF metrics on stdout.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import type { SweepSummary } from '../../src/domain/run-sweep.js';
import {
  DEFAULT_SERVICE_NAME,
  METRIC_UNITS,
  METRICS_NAMESPACE,
  MetricName,
} from '../../src/observability/metric-names.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { detailOf, EventBridgeDouble } from '../support/eventbridge-double.js';
import { rawEvents, uniqueIdOf } from '../support/poller-fixtures.js';

type Handler = (event: unknown, context: Context) => Promise<SweepSummary>;

const USERNAME = 'lambda_till';
const PASSWORD = 'Lambda-Pa55word-Secret';
const BUS = 'capillary-lambda-bus';

const fakeContext: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'capillary-event-poller',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:capillary-event-poller',
  memoryLimitInMB: '512',
  awsRequestId: '8f5c2b1e-0000-4000-8000-000000000001',
  logGroupName: '/aws/lambda/capillary-event-poller',
  logStreamName: '2025/05/08/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 120_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

/** Every variable the handler reads, saved before and restored after: workers are shared. */
const VARIABLES = [
  'TABLE_NAME',
  'DYNAMODB_ENDPOINT',
  'EVENT_BUS_NAME',
  'EVENTBRIDGE_ENDPOINT',
  'CAPILLARY_BASE_URL',
  'CAPILLARY_USERNAME',
  'CAPILLARY_PASSWORD',
  'CAPILLARY_MAX_ATTEMPTS',
  'CAPILLARY_AUTH',
  'CAPILLARY_SECRET_ARN',
  'DLQ_URL',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_SERVICE_NAME',
];
const saved = new Map(VARIABLES.map((name) => [name, process.env[name]]));

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let dynamo: DynamoDBClient;
let tableName: string;
/** Each import of the handler has its own Capillary connection pool: all are closed at the end. */
const dispatcherClosers: (() => Promise<void>)[] = [];

function setEnv(values: Record<string, string | undefined>): void {
  for (const name of VARIABLES) delete process.env[name];
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) process.env[name] = value;
  }
}

function lambdaEnv(): Record<string, string> {
  return {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
    EVENT_BUS_NAME: BUS,
    EVENTBRIDGE_ENDPOINT: eventBridge.url,
    CAPILLARY_BASE_URL: capillary.url.toString(),
    CAPILLARY_USERNAME: USERNAME,
    CAPILLARY_PASSWORD: PASSWORD,
    CAPILLARY_MAX_ATTEMPTS: '1',
    AWS_ACCESS_KEY_ID: 'AKIDLAMBDATEST',
    AWS_SECRET_ACCESS_KEY: 'lambda-test-secret',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_METRICS_DISABLED: 'false',
  };
}

async function importHandler(): Promise<Handler> {
  vi.resetModules();
  const module = (await import('../../functions/poller/handler.js')) as { handler: Handler };
  // Imported after the handler, so from the same fresh module registry: the handler's own copy.
  const pool = await import('../../src/adapters/capillary/shared-dispatcher.js');
  dispatcherClosers.push(pool.closeSharedDispatcher);
  return module.handler;
}

/** Runs `action` with process.stdout captured; returns what was written and the result. */
async function captureStdout<T>(
  action: () => Promise<T>,
): Promise<{ result: T; lines: string[]; stderr: string }> {
  const chunks: string[] = [];
  const errors: string[] = [];
  const text = (chunk: unknown) =>
    typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(text(chunk));
    return true;
  });
  // Powertools writes WARN and ERROR lines to stderr: kept, to check them too.
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    errors.push(text(chunk));
    return true;
  });
  try {
    const result = await action();
    return {
      result,
      lines: chunks.join('').split('\n').filter(Boolean),
      stderr: errors.join(''),
    };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

interface EmfBlob {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

function emfBlobs(lines: readonly string[]): EmfBlob[] {
  return lines
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        return undefined;
      }
    })
    .filter(
      (value): value is EmfBlob => typeof value === 'object' && value !== null && '_aws' in value,
    );
}

beforeAll(async () => {
  [capillary, eventBridge] = await Promise.all([
    CapillaryDouble.start(),
    EventBridgeDouble.start(),
  ]);
  capillary.setAuth({ kind: 'basic', username: USERNAME, password: PASSWORD });
  dynamo = dynamoDbLocalClient();
  tableName = await createTestTable(dynamo, 'lambda');
  const store = new DynamoDbCursorStore({ client: dynamo, tableName });
  for (const customerId of ['1000', '1001', '1002']) {
    await store.addCustomer(
      newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
    );
  }
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  for (const close of dispatcherClosers) await close();
  await Promise.all([capillary.close(), eventBridge.close()]);
  dynamo.destroy();
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('poller Lambda handler', () => {
  it('runs one sweep per invocation, publishes to EventBridge, and prints the sweep metrics as EMF', async () => {
    setEnv(lambdaEnv());
    const handler = await importHandler();
    capillary.setEvents('1000', rawEvents('1000', 1, 3));
    capillary.setEvents('1001', rawEvents('1001', 1, 2));
    capillary.failNext('1002', {
      kind: 'api-errors',
      errors: [{ code: 8015, message: 'Customer not found for given identifier' }],
    });

    const { result: summary, lines, stderr } = await captureStdout(() => handler({}, fakeContext));

    expect(summary.polled).toBe(2);
    expect(summary.published).toBe(5);
    expect(summary.newEvents).toBe(5);
    expect(summary.failures).toEqual([
      { customerId: '1002', reason: expect.stringContaining('Customer not found') },
    ]);
    expect(eventBridge.accepted.map((entry) => detailOf(entry).uniqueId)).toEqual(
      expect.arrayContaining([
        uniqueIdOf('1000', 1),
        uniqueIdOf('1000', 2),
        uniqueIdOf('1000', 3),
        uniqueIdOf('1001', 1),
        uniqueIdOf('1001', 2),
      ]),
    );
    expect(eventBridge.accepted).toHaveLength(5);
    expect(eventBridge.accepted.every((entry) => entry.EventBusName === BUS)).toBe(true);
    expect(eventBridge.accepted.every((entry) => entry.Source === 'capillary.events')).toBe(true);

    const blobs = emfBlobs(lines);
    expect(blobs).toHaveLength(1);
    const blob = blobs[0] as EmfBlob;
    const directive = blob._aws.CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive?.Namespace).toBe('CapillaryEventPoller');
    expect(directive?.Dimensions).toEqual([['service']]);
    expect(blob.service).toBe(DEFAULT_SERVICE_NAME);
    const units = Object.fromEntries(
      (directive?.Metrics ?? []).map((metric) => [metric.Name, metric.Unit]),
    );
    expect(units).toEqual(METRIC_UNITS);
    expect(blob[MetricName.CustomersPolled]).toBe(2);
    expect(blob[MetricName.PollErrors]).toBe(1);
    expect(blob[MetricName.EventsPublished]).toBe(5);
    expect(blob[MetricName.EventsParked]).toBe(0);
    expect(blob[MetricName.EventsUnpublished]).toBe(0);
    expect(blob[MetricName.CustomersDeferred]).toBe(0);
    expect(blob[MetricName.SweepCompleted]).toBe(1);
    // One request per customer (CAPILLARY_MAX_ATTEMPTS=1), counted by the client.
    expect(blob[MetricName.CapillaryRequests]).toBe(3);
    expect(blob[MetricName.CustomersClaimed]).toBe(3);
    expect(blob[MetricName.QuotaUse]).toBeGreaterThan(0);
    expect(blob[MetricName.SweepDuration]).toBe(summary.durationMs);
    expect(blob[MetricName.LagSeconds]).toBe((summary.maxLagMs ?? Number.NaN) / 1000);
    expect(blob[MetricName.LagSeconds]).toBeGreaterThan(0);

    // The credentials never reach the logs.
    expect(stderr).toContain('Customer poll failed');
    expect(`${lines.join('\n')}\n${stderr}`).not.toContain(PASSWORD);

    // Warm container: the next invocation publishes only what is new. Every customer is made
    // due now (as `watch resume` does) rather than after its interval.
    const store = new DynamoDbCursorStore({ client: dynamo, tableName });
    for (const customerId of ['1000', '1001', '1002']) {
      await store.setStatus(customerId, 'paused', Date.now());
      await store.setStatus(customerId, 'active', Date.now());
    }
    capillary.setEvents('1001', rawEvents('1001', 1, 3));
    const second = await captureStdout(() => handler({}, fakeContext));
    expect(second.result.failures).toEqual([]);
    expect(second.result.polled).toBe(3);
    // 1002 had no events; 1000 nothing new; 1001 one new event.
    expect(second.result.published).toBe(1);
    expect(eventBridge.accepted).toHaveLength(6);
    expect(detailOf(eventBridge.accepted[5] ?? {}).uniqueId).toBe(uniqueIdOf('1001', 3));
    const secondBlob = emfBlobs(second.lines)[0];
    expect(secondBlob?.[MetricName.EventsPublished]).toBe(1);
    expect(secondBlob?.[MetricName.PollErrors]).toBe(0);
    expect(secondBlob?.[MetricName.CustomersPolled]).toBe(3);
  });

  type ConfigFailure = Error & { problems?: { setting: string }[] };

  /** Invokes a freshly imported handler under `env`; what it threw, or `undefined`. */
  async function invocationError(env: Record<string, string>): Promise<ConfigFailure | undefined> {
    setEnv(env);
    const handler = await importHandler();
    const { result } = await captureStdout(() =>
      handler({}, fakeContext).then(
        () => undefined,
        (thrown: unknown) => thrown as ConfigFailure,
      ),
    );
    return result;
  }

  it('throws ConfigErrors naming TABLE_NAME when it is missing', async () => {
    const { TABLE_NAME: _table, DYNAMODB_ENDPOINT: _endpoint, ...rest } = lambdaEnv();
    const error = await invocationError(rest);
    expect(error?.name).toBe('ConfigErrors');
    expect(error?.message).toContain('TABLE_NAME');
    expect(error?.problems?.map((problem) => problem.setting)).toEqual(['TABLE_NAME']);
  });

  it('throws ConfigErrors naming TABLE_NAME when it is missing, even with DYNAMODB_ENDPOINT set', async () => {
    // The Lambda must be fully configured: an endpoint alone must not make it fall back to the
    // CLI's default table name ("capillary-event-poller").
    const { TABLE_NAME: _table, ...rest } = lambdaEnv();
    const error = await invocationError(rest);
    expect(error?.name).toBe('ConfigErrors');
    expect(error?.problems?.map((problem) => problem.setting)).toContain('TABLE_NAME');
  });

  it('throws ConfigErrors naming EVENT_BUS_NAME when it is missing, even with EVENTBRIDGE_ENDPOINT set', async () => {
    // Same rule for the bus: no silent fallback to the "default" bus.
    const { EVENT_BUS_NAME: _bus, ...rest } = lambdaEnv();
    const error = await invocationError(rest);
    expect(error?.name).toBe('ConfigErrors');
    expect(error?.problems?.map((problem) => problem.setting)).toContain('EVENT_BUS_NAME');
  });
});

describe('sweepDeadlines', () => {
  it('keeps 30% of the invocation (5 to 30 s) for polls in flight and 5 s for the last saves', async () => {
    const { sweepDeadlines } = await import('../../functions/poller/handler.js');
    expect(sweepDeadlines(0, 50_000)).toEqual({ deadline: 35_000, publishBy: 45_000 });
    expect(sweepDeadlines(0, 900_000)).toEqual({ deadline: 870_000, publishBy: 895_000 });
    expect(sweepDeadlines(0, 10_000)).toEqual({ deadline: 5_000, publishBy: 5_000 });
  });
});
