// dlq list / redrive / purge through the real CLI, against the SQS and EventBridge wire doubles.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqsDeadLetterSink } from '../../src/adapters/sqs/sqs-dead-letter-sink.js';
import type { OutgoingEvent } from '../../src/domain/ports.js';
import { detailOf, EventBridgeDouble } from '../support/eventbridge-double.js';
import { SqsDouble, sqsClientOn } from '../support/sqs-double.js';
import { type CliRun, runCliProcess, shown } from './cli-process.js';

// Each test drives several CLI processes; on a loaded machine each start takes seconds.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const BUS = 'dlq-redrive-bus';
const HOUR = 3_600_000;

let sqs: SqsDouble;
let eventBridge: EventBridgeDouble;

beforeAll(async () => {
  [sqs, eventBridge] = await Promise.all([SqsDouble.start(), EventBridgeDouble.start()]);
});
afterAll(async () => {
  await Promise.all([sqs.close(), eventBridge.close()]);
});

function event(n: number, time: Date): OutgoingEvent {
  const key = `key-${n}`;
  return {
    key,
    customerId: `10${n}`,
    detailType: 'TestingEvent_FE',
    time,
    detail: {
      customerId: `10${n}`,
      orgId: 100737,
      eventName: 'TestingEvent_FE',
      uniqueId: `unique-${n}`,
      eventId: `event-${n}`,
      date: time.toISOString(),
      source: 'INSTORE',
      tillCode: null,
      displayName: null,
      attributes: { n },
      poller: {
        eventKey: key,
        scope: 'default',
        observedAt: time.toISOString(),
        version: '0.1.0',
        psi: { mode: 'mask', attributes: [] },
      },
    },
  };
}

/** Parks events the way the poller does: the real sink, onto the SQS double. */
async function park(events: OutgoingEvent[], reason: string): Promise<void> {
  const sink = new SqsDeadLetterSink({
    client: sqsClientOn(sqs),
    queueUrl: sqs.queueUrl,
  });
  const outcomes = await sink.park(events.map((item) => ({ event: item, reason })));
  expect(outcomes.every((outcome) => outcome.parked)).toBe(true);
}

const now = Date.now();
/** Parked in this order, but event 1 is the oldest, then 3, then 2. */
const events = [
  event(2, new Date(now - 1 * HOUR)),
  event(1, new Date(now - 3 * HOUR)),
  event(3, new Date(now - 2 * HOUR)),
];

function dlq(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
  return runCliProcess(['dlq', ...args], {
    env: {
      DLQ_URL: sqs.queueUrl,
      SQS_ENDPOINT: sqs.url,
      EVENT_BUS_NAME: BUS,
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      AWS_REGION: 'us-east-1',
      ...extra,
    },
  });
}

const queuedKeys = () =>
  sqs.queued().map((message) => (JSON.parse(message.body) as { key: string }).key);
const allVisible = () => sqs.queued().every((message) => message.visibleAt <= Date.now());

beforeEach(async () => {
  sqs.reset();
  eventBridge.reset();
  await park(events, 'MalformedDetail: Detail is malformed.');
});

describe('dlq list', () => {
  it('prints every parked event on stdout, oldest first, and leaves them all in the queue, visible', async () => {
    // One after the other: a reader hides what it reads until it releases it.
    const plain = await dlq(['list']);
    const json = await dlq(['list', '--json']);
    expect(plain.code, shown(plain)).toBe(0);
    const lines = plain.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((line) => /key-\d/.exec(line)?.[0])).toEqual(['key-1', 'key-3', 'key-2']);
    expect(lines[0]).toContain('101');
    expect(lines[0]).toContain('TestingEvent_FE');
    expect(lines[0]).toContain('MalformedDetail: Detail is malformed.');
    expect(plain.stderr).toContain('3 parked event(s)');

    expect(json.code, shown(json)).toBe(0);
    const rows = JSON.parse(json.stdout) as {
      key: string;
      customerId: string;
      reason: string;
      ageSeconds: number;
    }[];
    expect(rows.map((row) => row.key)).toEqual(['key-1', 'key-3', 'key-2']);
    expect(rows[0]).toMatchObject({
      customerId: '101',
      reason: 'MalformedDetail: Detail is malformed.',
    });
    expect(rows[0]?.ageSeconds).toBeGreaterThanOrEqual(0);

    expect(queuedKeys()).toHaveLength(3);
    expect(allVisible()).toBe(true);
    expect(eventBridge.requests).toHaveLength(0);
  });
});

describe('dlq redrive', () => {
  it('publishes every event oldest first through EventBridge, then deletes its message', async () => {
    const run = await dlq(['redrive']);
    expect(run.code, shown(run)).toBe(0);
    expect(eventBridge.accepted.map((entry) => detailOf(entry).uniqueId)).toEqual([
      'unique-1',
      'unique-3',
      'unique-2',
    ]);
    expect(eventBridge.accepted.every((entry) => entry.EventBusName === BUS)).toBe(true);
    expect(sqs.queued()).toHaveLength(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      'published key-1',
      'published key-3',
      'published key-2',
    ]);
    expect(run.stderr).toContain(
      '3 parked event(s) found, 3 published and deleted, 0 still parked',
    );
  });

  it('--limit takes the oldest; --dry-run publishes and deletes nothing', async () => {
    const dryRun = await dlq(['redrive', '--dry-run']);
    expect(dryRun.code, shown(dryRun)).toBe(0);
    expect(eventBridge.requests).toHaveLength(0);
    expect(queuedKeys()).toHaveLength(3);
    expect(allVisible()).toBe(true);
    expect(dryRun.stdout).toContain('would publish key-1');

    const limited = await dlq(['redrive', '--limit', '1']);
    expect(limited.code, shown(limited)).toBe(0);
    expect(eventBridge.accepted.map((entry) => detailOf(entry).uniqueId)).toEqual(['unique-1']);
    expect(queuedKeys().sort()).toEqual(['key-2', 'key-3']);
    expect(allVisible()).toBe(true);
  });

  it('keeps an event EventBridge still rejects, with its new reason, and exits 1', async () => {
    eventBridge.failEntries({
      match: (entry) => detailOf(entry).uniqueId === 'unique-3',
      errorCode: 'InvalidArgument',
      errorMessage: 'Parameter Detail is not valid.',
      requests: Number.POSITIVE_INFINITY,
    });
    const run = await dlq(['redrive']);
    expect(run.code, shown(run)).toBe(1);
    expect(eventBridge.accepted.map((entry) => detailOf(entry).uniqueId)).toEqual([
      'unique-1',
      'unique-2',
    ]);
    const [left] = sqs.queued();
    expect(sqs.queued()).toHaveLength(1);
    const body = JSON.parse(left?.body ?? '{}') as { key: string; reason: string; detail: unknown };
    expect(body.key).toBe('key-3');
    expect(body.reason).toMatch(/^redrive 1 failed: .*InvalidArgument/);
    expect(body.detail).toEqual(JSON.parse(JSON.stringify(events[2]?.detail)));
    expect(left?.attributes.reason?.StringValue).toBe(body.reason);
    expect(left?.attributes.redriveAttempts?.StringValue).toBe('1');
    expect(left?.visibleAt).toBeLessThanOrEqual(Date.now());
    expect(run.stdout).toContain('still parked key-3: redrive 1 failed');

    // The next list shows the new reason and the age since it was first parked.
    const list = await dlq(['list', '--json']);
    const [row] = JSON.parse(list.stdout) as {
      reason: string;
      redriveAttempts: number;
      parkedAt: string;
    }[];
    expect(row?.reason).toBe(body.reason);
    expect(row?.redriveAttempts).toBe(1);
  });

  it('leaves a message parked without its detail and says how to fetch the event again', async () => {
    sqs.reset();
    sqs.enqueue(
      JSON.stringify({
        reason: 'too large',
        customerId: '104',
        key: 'key-4',
        detailType: 'TestingEvent_FE',
        time: new Date(now).toISOString(),
        eventName: 'TestingEvent_FE',
        eventId: 'event-4',
        uniqueId: null,
        orgId: 1,
        date: new Date(now).toISOString(),
        detailOmitted: {
          detailBytes: 300000,
          maxMessageBytes: 262144,
          refetch: 'GET /v2/events/event_data?id=event-4',
        },
      }),
      {},
      now,
    );
    const run = await dlq(['redrive']);
    expect(run.code, shown(run)).toBe(1);
    expect(run.stdout).toContain('still parked key-4: parked without its detail');
    expect(run.stdout).toContain('GET /v2/events/event_data?id=event-4');
    expect(sqs.queued()).toHaveLength(1);
    expect(eventBridge.requests).toHaveLength(0);
  });
});

describe('dlq purge and settings', () => {
  it('purge needs --yes (exit 2, nothing deleted), then deletes every message', async () => {
    const refused = await dlq(['purge']);
    expect(refused.code, shown(refused)).toBe(2);
    expect(refused.stderr).toContain('add --yes to confirm');
    expect(sqs.queued()).toHaveLength(3);

    const purged = await dlq(['purge', '--yes']);
    expect(purged.code, shown(purged)).toBe(0);
    expect(purged.stderr).toContain('3 parked event(s) deleted');
    expect(sqs.queued()).toHaveLength(0);
  });

  it('publishing to EventBridge without DLQ_URL exits 2 naming the setting', async () => {
    // Events on stdout park in the embedded queue (dlq-embedded.test.ts); a real bus needs DLQ_URL.
    const run = await runCliProcess(['dlq', 'list'], {
      env: { AWS_REGION: 'us-east-1', EVENT_BUS_NAME: BUS },
    });
    expect(run.code, shown(run)).toBe(2);
    expect(run.stderr).toContain('DLQ_URL');
    expect(run.stdout).toBe('');
  });
});
