// The poller end to end, in process: the real adapters (CapillaryClient, DynamoDbCursorStore,
// EventBridgePublisher, SqsDeadLetterSink) against DynamoDB Local and the wire doubles, driven by
// runSweep over several sweeps.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CapillaryCredentials } from '../../src/adapters/capillary/capillary-auth.js';
import { closeSharedDispatcher } from '../../src/adapters/capillary/capillary-transport.js';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { loadSettings } from '../../src/config/settings.js';
import { type CustomerState, newCustomerState } from '../../src/domain/customer-state.js';
import { seenDigest } from '../../src/domain/detect/seen-digest.js';
import type { PollDependencies } from '../../src/domain/poll/poll-customer.js';
import { runSweep, type SweepSummary } from '../../src/domain/poll/run-sweep.js';
import type { PsiMode } from '../../src/domain/publish/event-detail.js';
import { createPollDependencies } from '../../src/runtime/create-adapters.js';
import { basicAuthorization, md5Hex } from '../support/capillary-basic-auth.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import {
  detailOf,
  EventBridgeDouble,
  type WirePutEventsEntry,
} from '../support/eventbridge-double.js';
import { pollDependenciesOnDoubles } from '../support/poll-dependencies-on-doubles.js';
import {
  capturingLogger,
  multiset,
  rawEvent,
  rawEvents,
  uniqueIdOf,
} from '../support/poller-fixtures.js';
import { SqsDouble } from '../support/sqs-double.js';

/** A zero interval: every customer is due again at each sweep, as these tests sweep back to back. */
const EVERY_SWEEP = { policy: { minIntervalMs: 0, maxIntervalMs: 0 }, claimSeconds: 60 };

const BUS = 'capillary-test-bus';
const SOURCE = 'capillary.events';
const USERNAME = 'till_user';
const PASSWORD = 'Sup3r-Secret-Pa55word';
const CLIENT_KEY = 'oauth-client-key';
const CLIENT_SECRET = 'oauth-Client-Secret-42x';

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let sqs: SqsDouble;
let dynamo: DynamoDBClient;

/**
 * Settings as a deployed poller reads them from its environment, pointed at the wire doubles and
 * `tableName`; `extra` adds to that environment.
 */
function wiredSettings(tableName: string, extra: Record<string, string> = {}) {
  return loadSettings(
    {
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: USERNAME,
      CAPILLARY_PASSWORD: PASSWORD,
      TABLE_NAME: tableName,
      EVENT_BUS_NAME: BUS,
      EVENTBRIDGE_ENDPOINT: eventBridge.url.toString(),
      ...extra,
    },
    { allowEmbedded: false },
  );
}

beforeAll(async () => {
  [capillary, eventBridge, sqs] = await Promise.all([
    CapillaryDouble.start(),
    EventBridgeDouble.start(),
    SqsDouble.start(),
  ]);
  dynamo = dynamoDbLocalClient();
});

afterEach(() => {
  capillary.reset();
  eventBridge.reset();
  sqs.reset();
});

afterAll(async () => {
  await Promise.all([capillary.close(), eventBridge.close(), sqs.close()]);
  await closeSharedDispatcher();
  dynamo.destroy();
});

interface HarnessOptions {
  credentials?: CapillaryCredentials;
  deadLetters?: boolean;
  capillaryMaxAttempts?: number;
  publisherMaxAttempts?: number;
  /** The Capillary client's monotonic clock (rate limiter, token expiry). */
  now?: () => number;
  concurrency?: number;
  timeoutMs?: number;
}

interface Harness {
  deps: PollDependencies;
  store: DynamoDbCursorStore;
  log: ReturnType<typeof capturingLogger>;
  /** Every wait the Capillary client asked for (retries, Retry-After). */
  capillaryDelays: number[];
  watch(customerIds: readonly string[], options?: { backfill?: boolean }): Promise<void>;
  sweep(psiMode?: PsiMode): Promise<SweepSummary>;
  state(customerId: string): Promise<CustomerState | undefined>;
}

/** The real adapters, wired like createPollDependencies does but with instant waits. */
async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const tableName = await createTestTable(dynamo, 'e2e');
  const log = capturingLogger();
  const capillaryDelays: number[] = [];
  const store = new DynamoDbCursorStore({ client: dynamo, tableName });
  const deps = pollDependenciesOnDoubles(
    { capillary, eventBridge, sqs },
    {
      capillary: {
        credentials: options.credentials,
        // Long enough for a loaded machine (the CLI tests spawn processes meanwhile): a healthy
        // request timing out would turn one fault into another.
        timeoutMs: options.timeoutMs ?? 5_000,
        maxAttempts: options.capillaryMaxAttempts ?? 2,
        retry: { baseDelayMs: 1, maxDelayMs: 4 },
        sleep: async (ms) => {
          capillaryDelays.push(ms);
        },
        ...(options.now ? { now: options.now } : {}),
      },
      store,
      logger: log.logger,
      busName: BUS,
      eventSource: SOURCE,
      maxAttempts: options.publisherMaxAttempts ?? 3,
      deadLetters: options.deadLetters === true,
    },
  );
  return {
    deps,
    store,
    log,
    capillaryDelays,
    async watch(customerIds, watchOptions = {}) {
      for (const customerId of customerIds) {
        const added = await store.addCustomer(
          newCustomerState(
            { customerId, scope: 'default', backfill: watchOptions.backfill ?? true },
            new Date(),
          ),
        );
        expect(added).toBe(true);
      }
    },
    sweep: (psiMode = 'mask') =>
      runSweep(deps, {
        concurrency: options.concurrency ?? 4,
        psiMode,
        seenCapacity: 200,
        version: 'e2e-test',
        ...EVERY_SWEEP,
      }),
    state: (customerId) => store.getCustomer(customerId),
  };
}

interface Published {
  customerId: string;
  uniqueId: string;
  detailType: string | undefined;
  source: string | undefined;
}

function published(entries: readonly WirePutEventsEntry[] = eventBridge.accepted): Published[] {
  return entries.map((entry) => {
    const detail = detailOf(entry);
    return {
      customerId: String(detail.customerId),
      uniqueId: String(detail.uniqueId),
      detailType: entry.DetailType,
      source: entry.Source,
    };
  });
}

function publishedIds(customerId?: string): string[] {
  return published()
    .filter((entry) => customerId === undefined || entry.customerId === customerId)
    .map((entry) => entry.uniqueId);
}

function range(customerId: string, from: number, to: number): string[] {
  const ids: string[] = [];
  for (let n = from; n <= to; n++) ids.push(uniqueIdOf(customerId, n));
  return ids;
}

const failedIds = (summary: SweepSummary) =>
  summary.failures.map((failure) => failure.customerId).sort();

const reasonOf = (summary: SweepSummary, customerId: string) =>
  summary.failures.find((failure) => failure.customerId === customerId)?.reason ?? '';

describe('failure isolation across sweeps', () => {
  it('polls and publishes the healthy customers while each faulty one fails alone, then catches up with no loss and no duplicate', async () => {
    capillary.setAuth({ kind: 'basic', username: USERNAME, password: PASSWORD });
    const h = await harness({
      credentials: { kind: 'basic', username: USERNAME, password: PASSWORD },
      // The hanging customer waits this out twice.
      timeoutMs: 2_000,
    });
    const healthy = ['100', '101'];
    const faulty = ['201', '202', '203', '204', '205', '206'];
    const everyone = [...healthy, ...faulty];
    await h.watch(everyone);
    for (const customerId of everyone) capillary.setEvents(customerId, rawEvents(customerId, 1, 3));

    // Retryable faults fail both allowed attempts; the others fail at once.
    capillary.failNext('201', { kind: 'throttle', retryAfter: '1' }, 2);
    capillary.failNext('202', { kind: 'server-error', status: 503 }, 2);
    capillary.failNext('203', { kind: 'hang' }, 2);
    capillary.failNext('204', { kind: 'malformed' });
    capillary.failNext('205', {
      kind: 'api-errors',
      errors: [{ code: 8015, message: 'Customer not found for given identifier' }],
    });
    capillary.failNext('206', { kind: 'unauthorized', message: 'Invalid till credentials' });

    const first = await h.sweep();

    expect(failedIds(first)).toEqual(faulty);
    expect(reasonOf(first, '201')).toContain('HTTP 429');
    expect(reasonOf(first, '202')).toContain('HTTP 503');
    expect(reasonOf(first, '203')).toMatch(/no HTTP response|no answer within/);
    expect(reasonOf(first, '204')).toContain('not JSON');
    expect(reasonOf(first, '205')).toContain('Customer not found for given identifier');
    expect(reasonOf(first, '206')).toContain('HTTP 401');
    // Retry-After: 1 was honoured (about 1000 ms, waited in the paused limiter), not replaced by
    // the tiny backoff.
    expect(h.capillaryDelays.some((ms) => ms > 900 && ms <= 1000)).toBe(true);
    expect(first.polled).toBe(2);
    expect(first.published).toBe(6);
    expect(first.unpublished).toEqual([]);
    // Only the healthy customers' events are out, oldest first per customer.
    for (const customerId of healthy) {
      expect(publishedIds(customerId)).toEqual(range(customerId, 1, 3));
    }
    expect(published().every((entry) => healthy.includes(entry.customerId))).toBe(true);
    // Every request of the faulty ones was answered by a fault: their state was never written.
    for (const customerId of faulty) {
      const state = await h.state(customerId);
      expect(state?.version).toBe(0);
      expect(state?.mode).toBe('backfill');
      expect(state?.seen).toEqual([]);
      expect(state?.lastSeenId).toBeNull();
    }

    // Two more events for everyone; no faults left.
    for (const customerId of everyone) capillary.setEvents(customerId, rawEvents(customerId, 1, 5));
    const second = await h.sweep();
    expect(second.failures).toEqual([]);
    expect(second.polled).toBe(everyone.length);
    expect(second.published).toBe(healthy.length * 2 + faulty.length * 5);

    const third = await h.sweep();
    expect(third.failures).toEqual([]);
    expect(third.published).toBe(0);

    // Exactly what was served, each once, oldest first per customer.
    const served = everyone.flatMap((customerId) => range(customerId, 1, 5));
    expect(multiset(publishedIds())).toEqual(multiset(served));
    for (const customerId of faulty) {
      expect(publishedIds(customerId)).toEqual(range(customerId, 1, 5));
      const state = await h.state(customerId);
      expect(state?.mode).toBe('tracking');
      expect(state?.lastSeenId).toBe(uniqueIdOf(customerId, 5));
    }
    for (const entry of published()) expect(entry.source).toBe(SOURCE);
  });
});

describe('PutEvents partial failures and throttling', () => {
  it('retries failed entries, leaves the ones still failing unacknowledged, and publishes them on a later sweep with no loss and no duplicate', async () => {
    // One customer at a time, so the throttled requests of sweep 2 all hit one batch.
    const h = await harness({ publisherMaxAttempts: 3, concurrency: 1 });
    const customers = ['300', '301', '302'];
    await h.watch(customers);
    for (const customerId of customers)
      capillary.setEvents(customerId, rawEvents(customerId, 1, 4));

    const byUniqueId = (uniqueId: string) => (entry: WirePutEventsEntry) =>
      detailOf(entry).uniqueId === uniqueId;
    // Fails every attempt of this sweep (3 requests), then lets it through.
    eventBridge.failEntries({
      match: byUniqueId(uniqueIdOf('300', 2)),
      errorCode: 'ThrottlingException',
      requests: 3,
    });
    eventBridge.failEntries({
      match: byUniqueId(uniqueIdOf('301', 3)),
      errorCode: 'InternalFailure',
      requests: 3,
    });
    // Fails once only: the retry within the sweep publishes it.
    eventBridge.failEntries({
      match: byUniqueId(uniqueIdOf('302', 1)),
      errorCode: 'InternalFailure',
      requests: 1,
    });

    const first = await h.sweep();
    expect(first.newEvents).toBe(12);
    expect(first.published).toBe(10);
    expect(first.unpublished.map((event) => event.key).sort()).toEqual([
      uniqueIdOf('300', 2),
      uniqueIdOf('301', 3),
    ]);
    expect(failedIds(first)).toEqual(['300', '301']);
    expect(publishedIds('302')).toEqual(range('302', 1, 4).slice(1).concat(uniqueIdOf('302', 1)));
    // The cursor moved past the acknowledged events only.
    const seen300 = (await h.state('300'))?.seen.map((entry) => entry.digest);
    expect(seen300).toEqual(
      [uniqueIdOf('300', 1), uniqueIdOf('300', 3), uniqueIdOf('300', 4)].map(seenDigest),
    );

    // Second sweep: a new event each, and every PutEvents request throttled as a whole three
    // times: one batch gives up and stays unacknowledged.
    for (const customerId of customers)
      capillary.setEvents(customerId, rawEvents(customerId, 1, 5));
    eventBridge.throttleRequests(3);
    const second = await h.sweep();
    const throttled = eventBridge.requests.filter(
      (request) => request.errorType === 'ThrottlingException',
    );
    expect(throttled).toHaveLength(3);
    expect(second.unpublished.length).toBeGreaterThan(0);
    expect(second.unpublished.every((event) => event.reason.includes('ThrottlingException'))).toBe(
      true,
    );

    const third = await h.sweep();
    expect(third.failures).toEqual([]);
    expect(third.unpublished).toEqual([]);
    const fourth = await h.sweep();
    expect(fourth.published).toBe(0);
    expect(fourth.newEvents).toBe(0);

    const served = customers.flatMap((customerId) => range(customerId, 1, 5));
    expect(multiset(publishedIds())).toEqual(multiset(served));
    for (const customerId of customers) {
      expect((await h.state(customerId))?.seen).toHaveLength(5);
    }
  });
});

describe('OAuth client credentials', () => {
  it('reuses one token for a whole sweep, refreshes it after expiry, and regenerates it once on 401', async () => {
    capillary.setAuth({
      kind: 'oauth',
      clientKey: CLIENT_KEY,
      clientSecret: CLIENT_SECRET,
      ttlSeconds: 300,
    });
    let clock = 1_000;
    const h = await harness({
      credentials: { kind: 'oauth', clientKey: CLIENT_KEY, clientSecret: CLIENT_SECRET },
      now: () => clock,
      concurrency: 4,
    });
    const customers = Array.from({ length: 12 }, (_, index) => String(900 + index));
    await h.watch(customers);
    for (const customerId of customers)
      capillary.setEvents(customerId, rawEvents(customerId, 1, 2));
    const tokensOf = (requests = capillary.eventRequests()) =>
      requests.map((request) => request.headers['x-cap-api-oauth-token']);

    const first = await h.sweep();
    expect(first.failures).toEqual([]);
    expect(first.polled).toBe(12);
    expect(capillary.tokenRequests()).toHaveLength(1);
    expect(JSON.parse(capillary.tokenRequests()[0]?.body ?? '{}')).toEqual({
      key: CLIENT_KEY,
      secret: CLIENT_SECRET,
    });
    expect(new Set(tokensOf())).toEqual(new Set(['token-1']));
    expect(capillary.eventRequests()).toHaveLength(12);

    // Past the token's lifetime: one new token, used by every request of the sweep.
    clock += 301_000;
    capillary.clearRequests();
    const second = await h.sweep();
    expect(second.failures).toEqual([]);
    expect(capillary.tokenRequests()).toHaveLength(1);
    expect(new Set(tokensOf())).toEqual(new Set(['token-2']));

    // Capillary drops the token early: the first 401s regenerate it once, for everyone.
    clock += 10_000;
    capillary.invalidateToken();
    capillary.clearRequests();
    const third = await h.sweep();
    expect(third.failures).toEqual([]);
    expect(third.polled).toBe(12);
    expect(capillary.tokenRequests()).toHaveLength(1);
    expect(capillary.issuedTokens).toEqual(['token-1', 'token-2', 'token-3']);
    const succeeded = capillary
      .eventRequests()
      .filter((request) => request.headers['x-cap-api-oauth-token'] === 'token-3');
    expect(new Set(succeeded.map((request) => request.customerId))).toEqual(new Set(customers));

    // A 401 that survives the regeneration fails that customer only; no second regeneration.
    capillary.clearRequests();
    capillary.failNext('905', { kind: 'unauthorized', message: 'Token expired' }, 2);
    const fourth = await h.sweep();
    expect(failedIds(fourth)).toEqual(['905']);
    expect(reasonOf(fourth, '905')).toContain('HTTP 401');
    expect(capillary.eventRequests('905')).toHaveLength(2);
    expect(capillary.tokenRequests()).toHaveLength(1);
    expect(fourth.polled).toBe(11);

    expect(multiset(publishedIds())).toEqual(
      multiset(customers.flatMap((customerId) => range(customerId, 1, 2))),
    );
  });
});

describe('batching', () => {
  it('sends 25 new events of one customer in 3 PutEvents requests, oldest first', async () => {
    const h = await harness();
    await h.watch(['400']);
    capillary.setEvents('400', rawEvents('400', 1, 25));

    const summary = await h.sweep();

    expect(summary.published).toBe(25);
    expect(eventBridge.requests.map((request) => request.entries.length)).toEqual([10, 10, 5]);
    expect(eventBridge.requests.every((request) => request.status === 200)).toBe(true);
    expect(publishedIds('400')).toEqual(range('400', 1, 25));
    const times = eventBridge.accepted.map((entry) => Number(entry.Time));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const entry of published()) {
      expect(entry.detailType).toMatch(/^Event_[0-2]$/);
    }
    expect(eventBridge.accepted.every((entry) => entry.EventBusName === BUS)).toBe(true);
  });
});

describe('PSI attributes', () => {
  const MOBILE = '+919812345678';
  const EMAIL = 'psi.person@example.com';
  const psiEvent = (customerId: string) =>
    rawEvent(customerId, 1, {
      attributes: { mobile: MOBILE, Email: EMAIL, tier: 'gold' },
      psiAttributes: ['mobile', 'email'],
    });

  it('masks flagged attributes by default and drops them with psiMode drop; the raw values never reach EventBridge', async () => {
    const h = await harness();
    await h.watch(['500']);
    capillary.setEvents('500', [psiEvent('500')]);
    expect((await h.sweep()).published).toBe(1);

    const masked = detailOf(eventBridge.accepted[0] as WirePutEventsEntry);
    expect(masked.attributes).toEqual({
      n: 1,
      mobile: '[masked]',
      Email: '[masked]',
      tier: 'gold',
    });
    expect((masked.poller as { psi: unknown }).psi).toEqual({
      mode: 'mask',
      attributes: ['mobile', 'email'],
    });

    const dropping = await harness();
    await dropping.watch(['501']);
    capillary.setEvents('501', [psiEvent('501')]);
    expect((await dropping.sweep('drop')).published).toBe(1);
    const dropped = detailOf(eventBridge.accepted[1] as WirePutEventsEntry);
    expect(dropped.customerId).toBe('501');
    expect(dropped.attributes).toEqual({ n: 1, tier: 'gold' });

    const wire = JSON.stringify(eventBridge.requests);
    expect(wire).not.toContain(MOBILE);
    expect(wire).not.toContain(EMAIL);
    expect(wire).not.toContain('9812345678');
  });
});

describe('events too large for EventBridge', () => {
  const oversized = (customerId: string) =>
    rawEvent(customerId, 2, { attributes: { blob: 'x'.repeat(300_000) } });
  const window = (customerId: string, last: number) => {
    const events = rawEvents(customerId, 1, last);
    // Newest first: event 2 sits at index last - 2.
    events[last - 2] = oversized(customerId);
    return events;
  };

  it('parks it whole when the queue takes 1 MiB (DLQ_MAX_MESSAGE_BYTES, as the stack sets it)', async () => {
    const bigQueue = await SqsDouble.start({ maxMessageBytes: 1_048_576 });
    try {
      const tableName = await createTestTable(dynamo, 'dlq-whole');
      const settings = wiredSettings(tableName, {
        DLQ_URL: bigQueue.queueUrl.toString(),
        SQS_ENDPOINT: bigQueue.url.toString(),
        DLQ_MAX_MESSAGE_BYTES: '1048576',
      });
      const store = new DynamoDbCursorStore({ client: dynamo, tableName });
      const deps = createPollDependencies(settings, {
        logger: capturingLogger().logger,
        stdout: process.stdout,
        store,
        capillaryBaseUrl: capillary.url,
        credentials: settings.capillary.credentials,
        quotaTable: undefined,
      });
      await store.addCustomer(
        newCustomerState({ customerId: '650', scope: 'default', backfill: true }, new Date()),
      );
      capillary.setEvents('650', window('650', 3));
      const summary = await runSweep(deps, {
        concurrency: 1,
        psiMode: 'mask',
        seenCapacity: 200,
        version: 't',
        ...EVERY_SWEEP,
      });
      expect(summary).toMatchObject({ published: 2, parked: 1, failures: [] });
      const [parked] = bigQueue.bodies<{
        key: string;
        detail?: { attributes: { blob: string } };
      }>();
      expect(parked?.key).toBe(uniqueIdOf('650', 2));
      expect(parked?.detail?.attributes.blob).toHaveLength(300_000);
    } finally {
      await bigQueue.close();
    }
  });

  it('parks an oversize event in the dead-letter queue with a reason and moves the cursor past it', async () => {
    const h = await harness({ deadLetters: true });
    await h.watch(['600']);
    capillary.setEvents('600', window('600', 3));

    const first = await h.sweep();
    expect(first.published).toBe(2);
    expect(first.parked).toBe(1);
    expect(first.failures).toEqual([]);
    expect(publishedIds('600')).toEqual([uniqueIdOf('600', 1), uniqueIdOf('600', 3)]);
    // Never sent: no PutEvents request carried it.
    const sent = eventBridge.requests.flatMap((request) => published(request.entries));
    expect(sent.map((entry) => entry.uniqueId)).not.toContain(seenDigest(uniqueIdOf('600', 2)));

    expect(sqs.messages).toHaveLength(1);
    const parked = sqs.bodies<{ reason: string; key: string; customerId: string }>()[0];
    expect(parked?.key).toBe(uniqueIdOf('600', 2));
    expect(parked?.customerId).toBe('600');
    expect(parked?.reason).toMatch(/over the PutEvents limit/);
    expect(sqs.messages[0]?.attributes.reason?.StringValue).toMatch(/over the PutEvents limit/);

    const state = await h.state('600');
    expect(state?.seen.map((entry) => entry.digest)).toContain(seenDigest(uniqueIdOf('600', 2)));

    capillary.setEvents('600', window('600', 4));
    const second = await h.sweep();
    expect(second.parked).toBe(0);
    expect(second.published).toBe(1);
    expect(sqs.messages).toHaveLength(1);
    expect(publishedIds('600')).toEqual([
      uniqueIdOf('600', 1),
      uniqueIdOf('600', 3),
      uniqueIdOf('600', 4),
    ]);
  });

  it('without a dead-letter queue keeps it unacknowledged and reports it on every sweep while other events flow', async () => {
    const h = await harness();
    await h.watch(['601', '602']);
    capillary.setEvents('601', window('601', 3));
    capillary.setEvents('602', rawEvents('602', 1, 2));

    const first = await h.sweep();
    expect(first.unpublished).toEqual([
      expect.objectContaining({ customerId: '601', key: uniqueIdOf('601', 2) }),
    ]);
    expect(first.unpublished[0]?.reason).toMatch(/over the PutEvents limit/);
    expect(failedIds(first)).toEqual(['601']);
    expect(first.published).toBe(4);

    capillary.setEvents('601', window('601', 4));
    capillary.setEvents('602', rawEvents('602', 1, 3));
    const second = await h.sweep();
    expect(second.unpublished).toEqual([
      expect.objectContaining({ customerId: '601', key: uniqueIdOf('601', 2) }),
    ]);
    expect(second.published).toBe(2);

    const third = await h.sweep();
    expect(third.unpublished.map((event) => event.key)).toEqual([uniqueIdOf('601', 2)]);
    expect(third.published).toBe(0);

    expect(sqs.requests).toHaveLength(0);
    expect(multiset(publishedIds())).toEqual(
      multiset(
        [uniqueIdOf('601', 1), uniqueIdOf('601', 3), uniqueIdOf('601', 4)].concat(
          range('602', 1, 3),
        ),
      ),
    );
    const state = await h.state('601');
    expect(state?.seen.map((entry) => entry.digest)).not.toContain(
      seenDigest(uniqueIdOf('601', 2)),
    );
    expect(state?.lastSeenId).toBe(uniqueIdOf('601', 4));
  });
});

describe('secrets', () => {
  const md5 = md5Hex(PASSWORD);
  const header = basicAuthorization(USERNAME, PASSWORD);
  const headerValue = header.slice('Basic '.length);

  function expectClean(text: string, secrets: readonly string[]): void {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }

  it('keeps the password, its digest and the Basic header out of logs, summaries and published entries', async () => {
    capillary.setAuth({ kind: 'basic', username: USERNAME, password: PASSWORD });
    const h = await harness({
      credentials: { kind: 'basic', username: USERNAME, password: PASSWORD },
    });
    await h.watch(['700', '701', '702']);
    // Capillary echoing credentials back: in a warning, an error body, an errors array.
    capillary.setEvents('700', rawEvents('700', 1, 2), [
      `till ${USERNAME} logged in with ${PASSWORD}`,
    ]);
    capillary.setEvents('701', rawEvents('701', 1, 2));
    capillary.setEvents('702', rawEvents('702', 1, 2));
    capillary.failNext(
      '701',
      {
        kind: 'server-error',
        status: 500,
        errors: [{ code: 500, message: `auth ${header} (${md5}, ${PASSWORD}) failed` }],
      },
      2,
    );
    capillary.failNext('702', {
      kind: 'api-errors',
      errors: [{ code: 1500, message: `digest ${md5} / ${headerValue} refused` }],
    });

    const summary = await h.sweep();

    expect(failedIds(summary)).toEqual(['701', '702']);
    // The echoed values did reach the poller, and were redacted on the way.
    expect(reasonOf(summary, '701')).toContain('[REDACTED]');
    expect(reasonOf(summary, '702')).toContain('[REDACTED]');
    expect(h.log.text()).toContain('[REDACTED]');
    expect(h.log.lines.some((line) => line.message === 'Capillary warning')).toBe(true);
    expect(summary.published).toBe(2);

    const everything = [
      h.log.text(),
      JSON.stringify(summary),
      JSON.stringify(eventBridge.requests),
      JSON.stringify(eventBridge.accepted),
    ].join('\n');
    expectClean(everything, [PASSWORD, md5, headerValue, header]);
  });

  it('keeps the client secret and the OAuth tokens out of logs, summaries and published entries', async () => {
    capillary.setAuth({ kind: 'oauth', clientKey: CLIENT_KEY, clientSecret: CLIENT_SECRET });
    const h = await harness({
      credentials: { kind: 'oauth', clientKey: CLIENT_KEY, clientSecret: CLIENT_SECRET },
      concurrency: 1,
    });
    await h.watch(['710', '711']);
    capillary.setEvents('710', rawEvents('710', 1, 2));
    capillary.setEvents('711', rawEvents('711', 1, 2));
    // The token endpoint refuses once, quoting the secret.
    capillary.failNextToken({
      kind: 'raw',
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        data: null,
        errors: [{ code: 1001, message: `secret ${CLIENT_SECRET} is not valid` }],
      }),
    });

    const first = await h.sweep();
    expect(first.failures).toHaveLength(1);
    expect(first.failures[0]?.reason).toContain('[REDACTED]');

    // A 401 quoting the token that was sent, twice: regenerated once, then the customer fails.
    capillary.failNext('710', { kind: 'unauthorized', message: 'token token-1 expired' });
    capillary.failNext('710', { kind: 'unauthorized', message: 'token token-2 expired' });
    capillary.failNext('711', { kind: 'unauthorized', message: 'token token-1 expired' });
    capillary.failNext('711', { kind: 'unauthorized', message: 'token token-2 expired' });
    const second = await h.sweep();
    expect(second.failures.length).toBeGreaterThan(0);
    expect(second.failures.every((failure) => failure.reason.includes('[REDACTED]'))).toBe(true);
    expect(capillary.issuedTokens.length).toBeGreaterThanOrEqual(2);

    const third = await h.sweep();
    expect(third.failures).toEqual([]);
    expect(multiset(publishedIds())).toEqual(
      multiset([...range('710', 1, 2), ...range('711', 1, 2)]),
    );

    const everything = [
      h.log.text(),
      JSON.stringify([first, second, third]),
      JSON.stringify(eventBridge.requests),
    ].join('\n');
    expectClean(everything, [CLIENT_SECRET, ...capillary.issuedTokens]);
  });
});

describe('baseline', () => {
  it('a newly watched customer emits nothing on its first sweep and only later events afterwards (wired by createPollDependencies)', async () => {
    const tableName = await createTestTable(dynamo, 'baseline');
    const settings = wiredSettings(tableName);
    capillary.setAuth({ kind: 'basic', username: USERNAME, password: PASSWORD });
    const log = capturingLogger();
    const store = new DynamoDbCursorStore({ client: dynamo, tableName });
    const deps = createPollDependencies(settings, {
      logger: log.logger,
      stdout: process.stdout,
      store,
      capillaryBaseUrl: capillary.url,
      credentials: settings.capillary.credentials,
      quotaTable: undefined,
    });
    const sweep = () =>
      runSweep(deps, {
        concurrency: 2,
        psiMode: 'mask',
        seenCapacity: 200,
        version: 't',
        ...EVERY_SWEEP,
      });
    await store.addCustomer(
      newCustomerState({ customerId: '800', scope: 'default', backfill: false }, new Date()),
    );
    await store.addCustomer(
      newCustomerState({ customerId: '801', scope: 'child', backfill: false }, new Date()),
    );
    capillary.setEvents('800', rawEvents('800', 1, 3));
    capillary.setEvents('801', rawEvents('801', 1, 2));

    const first = await sweep();
    expect(first.baselined).toBe(2);
    expect(first.published).toBe(0);
    expect(first.newEvents).toBe(0);
    expect(eventBridge.requests).toHaveLength(0);
    const state = await store.getCustomer('800');
    expect(state?.mode).toBe('tracking');
    expect(state?.seen).toHaveLength(3);
    expect(capillary.eventRequests('801')[0]?.url).toContain('scope=child');

    capillary.setEvents('800', rawEvents('800', 1, 5));
    const second = await sweep();
    expect(second.baselined).toBe(0);
    expect(second.published).toBe(2);
    expect(publishedIds()).toEqual(range('800', 4, 5));
    expect(eventBridge.accepted.every((entry) => entry.Source === SOURCE)).toBe(true);

    const third = await sweep();
    expect(third.published).toBe(0);
    expect(publishedIds()).toEqual(range('800', 4, 5));
  });
});
