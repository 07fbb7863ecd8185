import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../domain/ports.js';
import {
  createSchedulerDependencies,
  createWorkerDependencies,
} from './create-lambda-dependencies.js';

// Built as the handlers build them; nothing is sent (CHANGE_FEED=off: the tick reads no cursor).
const ENV = {
  CAPILLARY_BASE_URL: 'https://eu.api.capillarytech.com',
  CAPILLARY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:capillary-AbCdEf',
  CAPILLARY_TIMEOUT_MS: '10000',
  CAPILLARY_RPS: '2',
  POLL_INTERVAL_SECONDS: '60',
  CLAIM_SECONDS: '120',
  CHANGE_FEED: 'off',
  TABLE_NAME: 'capillary-cursors',
  EVENT_BUS_NAME: 'capillary-bus',
  WORK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/capillary-event-poller-work',
  AWS_REGION: 'us-east-1',
};
const NOW = Date.parse('2026-01-01T00:00:00Z');
const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const invocation = (remainingMs: number) => ({
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => remainingMs,
});

beforeEach(() => {
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createSchedulerDependencies', () => {
  it('gives each tick the container’s quota and the invocation’s deadline: it stops claiming in the last 20% of its time', async () => {
    const scheduler = createSchedulerDependencies(ENV, logger);
    const options = await scheduler.beginTick(invocation(100_000));
    expect(options).toMatchObject({
      owner: 'tick-request-1',
      now: NOW,
      // CAPILLARY_RPS × the 60 s interval.
      limit: 120,
      claimMs: 120_000,
      deadline: NOW + 80_000,
    });
    vi.setSystemTime(NOW + 60_000);
    expect(await scheduler.beginTick(invocation(20_000))).toMatchObject({
      now: NOW + 60_000,
      limit: 120,
      deadline: NOW + 75_000,
    });
  });
});

describe('createWorkerDependencies', () => {
  it('gives each message the invocation’s deadlines: starts until the request timeout plus 5 s before the end, publishes until 5 s before it', () => {
    const worker = createWorkerDependencies(ENV, logger);
    const options = worker.beginWork(invocation(600_000), 'delivery-1');
    expect(options).toMatchObject({
      takeOverAs: 'delivery-1',
      deadline: NOW + 600_000 - 15_000,
      publishBy: NOW + 595_000,
      requestsPerSecond: 2,
    });
    expect(worker.beginWork(invocation(20_000), 'delivery-2')).toMatchObject({
      takeOverAs: 'delivery-2',
      // At most half of what remains.
      deadline: NOW + 10_000,
      publishBy: NOW + 15_000,
    });
  });
});
