// Fault row 13: Capillary answers a 500 whose body echoes the password, in every form a secret
// takes on the wire (raw, URL-encoded, JSON-escaped, inside base64 at each alignment, its MD5 in
// either case), and of `username:password` and `username:md5(password)` too. None of them reaches
// the worker Lambda's logs, the CLI's stdout or stderr (`poll --json`, `watch list --json`), the
// `lastError` stored in DynamoDB, or a dead-letter message; the healthy customers are published
// exactly once and the bad ones are reported.

import { PassThrough } from 'node:stream';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { DynamoDbCursorStore } from '../../src/adapters/dynamodb/dynamodb-cursor-store.js';
import { runCli } from '../../src/cli/run-cli.js';
import { newCustomerState } from '../../src/domain/customer-state.js';
import { shownForms, type WireForm, wireForms } from '../hostile/secret-pieces.js';
import { md5Hex } from '../support/capillary-basic-auth.js';
import { CapillaryDouble } from '../support/capillary-double.js';
import { createTestTable, dynamoDbLocalClient } from '../support/dynamodb-local.js';
import { detailOf, EventBridgeDouble } from '../support/eventbridge-double.js';
import { environment, invoke, POLLER_LAMBDA_VARIABLES } from '../support/lambda-harness.js';
import { multiset, rawEvents, uniqueIdOf } from '../support/poller-fixtures.js';
import { SqsDouble } from '../support/sqs-double.js';

type Worker = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
type Scheduler = (event: unknown, context: Context) => Promise<unknown>;

const USERNAME = 'echo_till';
// Characters that URL-encoding and JSON-escaping both change, and one outside ASCII.
const PASSWORD = 'Echo "pa$$" & w/ð+rd\\500';
const BUS = 'capillary-echo-bus';

const FORMS: WireForm[] = [
  ...wireForms('password', PASSWORD),
  ...wireForms('username:password', `${USERNAME}:${PASSWORD}`),
  ...wireForms('username:md5(password)', `${USERNAME}:${md5Hex(PASSWORD)}`),
];

const env = environment(POLLER_LAMBDA_VARIABLES);

let capillary: CapillaryDouble;
let eventBridge: EventBridgeDouble;
let sqs: SqsDouble;
let dynamo: DynamoDBClient;
let tableName: string;
const dispatcherClosers: (() => Promise<void>)[] = [];

/** Customer ids: one bad customer per form and sink, and the healthy ones beside them. */
const lambdaBad = FORMS.map((_, index) => String(61_000 + index));
const cliBad = FORMS.map((_, index) => String(71_000 + index));
const LAMBDA_HEALTHY = ['60001', '60002'];
const CLI_HEALTHY = ['70001', '70002'];

/** Each bad customer's 500 echoes one form: as the errors' message (JSON) or as a text body. */
function echoEveryForm(customerIds: readonly string[], asText: boolean): void {
  FORMS.forEach((form, index) => {
    const customerId = customerIds[index] as string;
    capillary.failNext(
      customerId,
      asText
        ? { kind: 'raw', status: 500, body: `Internal error for ${form.echo} (echoed)` }
        : {
            kind: 'server-error',
            status: 500,
            errors: [{ code: 500, message: `Internal error for ${form.echo} (echoed)` }],
          },
      10,
    );
  });
}

function sqsEvent(body: string, messageId: string): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId,
        receiptHandle: `receipt-${messageId}`,
        body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: 'AROAEXAMPLE',
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:capillary-event-poller-work',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk) => out.push(String(chunk)));
  stderr.on('data', (chunk) => err.push(String(chunk)));
  const code = await runCli(argv, {
    env: {
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: BUS,
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: USERNAME,
      CAPILLARY_PASSWORD: PASSWORD,
      CAPILLARY_MAX_ATTEMPTS: '1',
      AWS_ACCESS_KEY_ID: 'AKIDECHOTEST',
      AWS_SECRET_ACCESS_KEY: 'echo-test-secret',
      AWS_REGION: 'us-east-1',
      LOG_LEVEL: 'DEBUG',
    },
    stdout,
    stderr,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Everything the table holds, as stored (every attribute of every item). */
async function rawItems(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) items.push(unmarshall(item));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return items;
}

const captured: { sink: string; text: string }[] = [];

beforeAll(async () => {
  [capillary, eventBridge, sqs] = await Promise.all([
    CapillaryDouble.start({ auth: { kind: 'basic', username: USERNAME, password: PASSWORD } }),
    EventBridgeDouble.start(),
    SqsDouble.start({ queueName: 'capillary-event-poller-work' }),
  ]);
  dynamo = dynamoDbLocalClient();
  tableName = await createTestTable(dynamo, 'echo500');
});

afterAll(async () => {
  for (const close of dispatcherClosers) await close();
  await Promise.all([capillary.close(), eventBridge.close(), sqs.close()]);
  dynamo.destroy();
  env.restore();
});

describe('Capillary echoing the password in a 500 body, in every form', () => {
  // The three steps share one table and run in order: the last reads what the first two stored.
  it('the worker Lambda: logs and dead-letter messages show none of the forms', async () => {
    const store = new DynamoDbCursorStore({ client: dynamo, tableName });
    for (const customerId of [...LAMBDA_HEALTHY, ...lambdaBad]) {
      await store.addCustomer(
        newCustomerState({ customerId, scope: 'default', backfill: true }, new Date()),
      );
    }
    for (const customerId of LAMBDA_HEALTHY) {
      capillary.setEvents(customerId, rawEvents(customerId, 1, 3));
    }
    echoEveryForm(lambdaBad, false);
    // EventBridge refuses one event for good, echoing every form: it is parked with that reason.
    eventBridge.failEntries({
      match: (entry) => detailOf(entry).uniqueId === uniqueIdOf('60002', 3),
      errorCode: 'MalformedDetail',
      errorMessage: `detail rejected: ${FORMS.map((form) => form.echo).join(' | ')}`,
    });
    env.set({
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: inject('dynamoDbLocalEndpoint'),
      EVENT_BUS_NAME: BUS,
      EVENTBRIDGE_ENDPOINT: eventBridge.url,
      CAPILLARY_BASE_URL: capillary.url.toString(),
      CAPILLARY_USERNAME: USERNAME,
      CAPILLARY_PASSWORD: PASSWORD,
      CAPILLARY_MAX_ATTEMPTS: '1',
      CAPILLARY_RPS: '200',
      POLL_INTERVAL_SECONDS: '60',
      CLAIM_SECONDS: '120',
      WORK_QUEUE_URL: sqs.queueUrl,
      SQS_ENDPOINT: sqs.url,
      DLQ_URL: sqs.queueUrl,
      AWS_ACCESS_KEY_ID: 'AKIDECHOTEST',
      AWS_SECRET_ACCESS_KEY: 'echo-test-secret',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    vi.resetModules();
    const scheduler = (await import('../../functions/scheduler/handler.js')) as {
      handler: Scheduler;
    };
    const worker = (await import('../../functions/worker/handler.js')) as { handler: Worker };
    const pool = await import('../../src/adapters/capillary/capillary-transport.js');
    dispatcherClosers.push(pool.closeSharedDispatcher);

    const tick = await invoke(scheduler.handler, {}, 'capillary-scheduler');
    captured.push({ sink: 'scheduler logs', text: `${tick.lines.join('\n')}\n${tick.stderr}` });
    const work = sqs.messages.map((message) => sqsEvent(message.body, message.messageId));
    expect(work.length).toBeGreaterThan(0);
    for (const event of work) {
      const run = await invoke(worker.handler, event, 'capillary-worker');
      captured.push({ sink: 'worker logs', text: `${run.lines.join('\n')}\n${run.stderr}` });
    }
    const parked = sqs.bodies().filter((body) => 'reason' in body);
    captured.push({ sink: 'dead-letter messages', text: JSON.stringify(sqs.messages) });

    // The bad customers were reported; the healthy ones published once each, one event parked.
    const logs = captured.map((entry) => entry.text).join('\n');
    for (const customerId of lambdaBad) expect(logs).toContain(customerId);
    expect(logs).toContain('(echoed)');
    const uniqueIds = eventBridge.accepted.map((entry) => String(detailOf(entry).uniqueId));
    expect(multiset(uniqueIds)).toEqual(
      multiset(
        [1, 2, 3]
          .map((n) => uniqueIdOf('60001', n))
          .concat([1, 2].map((n) => uniqueIdOf('60002', n))),
      ),
    );
    expect(parked).toHaveLength(1);
    expect(String(parked[0]?.reason)).toContain('detail rejected');

    for (const { sink, text } of captured) expect(shownForms(text, FORMS), sink).toEqual([]);
  });

  it('the CLI: poll --json, watch list --json and their stderr show none of the forms', async () => {
    const added = await cli('watch', 'add', ...CLI_HEALTHY, ...cliBad, '--backfill', '--json');
    expect(added.code).toBe(0);
    for (const customerId of CLI_HEALTHY) {
      capillary.setEvents(customerId, rawEvents(customerId, 1, 2));
    }
    echoEveryForm(cliBad, true);
    const published = eventBridge.accepted.length;

    const poll = await cli('poll', '--once', '--json');
    const list = await cli('watch', 'list', '--json');
    captured.push(
      { sink: 'poll --json stdout', text: poll.stdout },
      { sink: 'poll stderr', text: poll.stderr },
      { sink: 'watch list --json stdout', text: list.stdout },
      { sink: 'watch list stderr', text: list.stderr },
    );

    // Exit 1: customers failed. They are reported, with the text around each echo.
    expect(poll.code).toBe(1);
    expect(poll.stdout).toContain('(echoed)');
    const rows = JSON.parse(list.stdout) as { customerId: string; lastError: string | null }[];
    for (const customerId of [...lambdaBad, ...cliBad]) {
      const row = rows.find((candidate) => candidate.customerId === customerId);
      expect(row?.lastError, customerId).toContain('(echoed)');
    }
    // The healthy customers' events, once each.
    const cliIds = eventBridge.accepted
      .slice(published)
      .map((entry) => String(detailOf(entry).uniqueId));
    expect(multiset(cliIds)).toEqual(
      multiset(CLI_HEALTHY.flatMap((customerId) => [1, 2].map((n) => uniqueIdOf(customerId, n)))),
    );

    for (const { sink, text } of captured) expect(shownForms(text, FORMS), sink).toEqual([]);
  });

  it('DynamoDB: no stored attribute (lastError included) holds any of the forms', async () => {
    const items = await rawItems();
    const withError = items.filter((item) => typeof item.lastError === 'string');
    expect(withError).toHaveLength(lambdaBad.length + cliBad.length);
    for (const item of withError) expect(item.lastError).toContain('(echoed)');
    expect(shownForms(JSON.stringify(items), FORMS)).toEqual([]);
  });
});
