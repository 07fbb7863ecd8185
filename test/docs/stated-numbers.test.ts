// Every number README.md and docs/ (architecture, cli, settings, tests, deploying) state about
// the code, read from the docs and compared with the constant (or the behaviour) it describes,
// so a change to either shows here.
// The generated tables are checked by generated-docs.test.ts; the construct's deployed values
// by deployed-numbers.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../infra/props-validation.js';
import { DEFAULT_CREDENTIALS_MAX_AGE_MS } from '../../src/adapters/capillary/capillary-auth.js';
import { MAX_EVENTS_PER_RESPONSE } from '../../src/adapters/capillary/capillary-responses.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../src/adapters/capillary/capillary-transport.js';
import { DEFAULT_LINGER_MS } from '../../src/adapters/eventbridge/batching-publisher.js';
import {
  MAX_ENTRIES_PER_PUT_EVENTS,
  MAX_PUT_EVENTS_BYTES,
} from '../../src/adapters/eventbridge/put-events-entries.js';
import {
  EXIT_CUSTOMER_FAILED,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
} from '../../src/cli/cli-io.js';
import { NUMBER_RULES, settingDefault } from '../../src/config/setting-schemas.js';
import { MAX_CLOCK_SKEW_MS } from '../../src/domain/claim/clock-skew.js';
import { MAX_CUSTOMER_ID } from '../../src/domain/customer-state.js';
import { MAX_CURSOR_ITEM_BYTES } from '../../src/domain/detect/cursor-budget.js';
import { BASELINE_SKEW_ALLOWANCE_MS } from '../../src/domain/detect/detect-new-events.js';
import { MAX_EVENT_DEPTH, MAX_EVENT_JSON_BYTES } from '../../src/domain/detect/event-key.js';
import { inFlightFor, MAX_IN_FLIGHT } from '../../src/domain/poll/adaptive-concurrency.js';
import { claimPublishMargin } from '../../src/domain/poll/poll-claimed.js';
import { REDRIVE_VISIBILITY_SECONDS } from '../../src/domain/publish/dead-letter-redrive.js';
import { MIN_SECRET_PIECE } from '../../src/domain/redaction.js';
import { CLAIMS_PER_FLUSH } from '../../src/domain/schedule/schedule-tick.js';
import { CUSTOMERS_PER_MESSAGE } from '../../src/domain/schedule/work-queue.js';
import { SANDBOX_INTERVAL_SECONDS } from '../../src/runtime/create-runtime.js';
import { invocationDeadlines, tickDeadline } from '../../src/runtime/lambda-runtime.js';
import { DEFAULT_NEW_EVENT_EVERY_MS } from '../../src/sandbox/capillary-sandbox.js';

const doc = (path: string) =>
  readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8').replace(/\s+/g, ' ');
const readme = doc('README.md');
const architecture = doc('docs/architecture.md');
const cli = doc('docs/cli.md');
const settings = doc('docs/settings.md');
const tests = doc('docs/tests.md');
const deploying = doc('docs/deploying.md');
const packageJson = JSON.parse(doc('package.json')) as { engines: { node: string } };

const KiB = 1024;
const MiB = 1024 * 1024;
const thousands = (n: number) => n.toLocaleString('en-US');

/** The first number captured by `pattern` in `text` (a docs sentence with one number in it). */
function stated(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`the docs no longer say ${pattern}`);
  return Number(match[1].replaceAll(',', ''));
}

/** The scheduler's claim margin a doc states (the last N% of its time, at least M s) is tickDeadline's. */
function expectTickMargin(text: string, pattern: RegExp) {
  const match = pattern.exec(text);
  if (!match?.[1] || !match[2]) throw new Error(`the docs no longer say ${pattern}`);
  const share = Number(match[1]) / 100;
  const atLeastMs = Number(match[2]) * 1000;
  const long = 10 * (atLeastMs / share); // where the share is more than the floor
  expect(long - tickDeadline(0, long)).toBe(long * share);
  const short = atLeastMs; // where the floor is more than the share
  expect(short - tickDeadline(0, short)).toBe(atLeastMs);
}

describe('README.md states what the code does', () => {
  it.each([
    ['work messages', `messages of up to ${CUSTOMERS_PER_MESSAGE} claimed customers`],
    [
      'PutEvents batches',
      `≤${MAX_ENTRIES_PER_PUT_EVENTS} entries / ${MAX_PUT_EVENTS_BYTES / KiB} KiB`,
    ],
    [
      'the cursor budget',
      `${MAX_CURSOR_ITEM_BYTES / 1000} KB by DynamoDB's item-size rules (its hard limit is 400 KB)`,
    ],
    ['events per response', `| events in one response | ${thousands(MAX_EVENTS_PER_RESPONSE)} |`],
    ['its message', `more than the ${MAX_EVENTS_PER_RESPONSE} one poll accepts`],
    ['the body cap', `${DEFAULT_MAX_RESPONSE_BYTES / MiB} MiB (\`maxResponseBytes\`)`],
    [
      'one event',
      `${MAX_EVENT_DEPTH} levels of nesting, ${MAX_EVENT_JSON_BYTES / MiB} MiB as JSON`,
    ],
    ['one entry', `| one EventBridge entry | ${MAX_PUT_EVENTS_BYTES / KiB} KiB |`],
  ])('%s', (_what, sentence) => {
    expect(readme).toContain(sentence);
  });
});

describe('docs/architecture.md states what the code does', () => {
  it.each([
    ['the seen set', `at least \`SEEN_CAPACITY\` (${settingDefault('SEEN_CAPACITY')})`],
    ['redaction at a cut', `the first ${MIN_SECRET_PIECE} characters or more of a secret`],
    [
      'watch from now',
      `events dated more than ${BASELINE_SKEW_ALLOWANCE_MS / 1000} s before \`watch add\` are the baseline`,
    ],
  ])('%s', (_what, sentence) => {
    expect(architecture).toContain(sentence);
  });

  it('stops a worker when it says', () => {
    const publishSeconds = stated(architecture, /publishes no window fetched in its last (\d+) s/);
    const boundPlus = stated(architecture, /the request timeout plus (\d+) s, at most half/);
    const remainingMs = 600_000;
    const timeoutMs = 10_000;
    const { deadline, publishBy } = invocationDeadlines(0, remainingMs, timeoutMs);
    expect(remainingMs - publishBy).toBe(publishSeconds * 1000);
    expect(remainingMs - deadline).toBe(timeoutMs + boundPlus * 1000);
    // at most half of its time
    expect(invocationDeadlines(0, 20_000, 10_000).deadline).toBe(10_000);
  });

  it('stops publishing near the end of a claim when it says', () => {
    const atMost = stated(architecture, /quarter of what remains of a claim, at most (\d+) s\)/);
    expect(claimPublishMargin(40_000)).toBe(40_000 / 4); // the last quarter
    expect(claimPublishMargin(600_000)).toBe(atMost * 1000);
  });

  it('stops the scheduler claiming when it says', () => {
    expectTickMargin(
      architecture,
      /scheduler stops claiming in the last (\d+)% of its time \(at least (\d+) s\)/,
    );
  });
});

describe('docs/cli.md states what the code does', () => {
  it.each([
    ['the sandbox interval', `a poll every ${SANDBOX_INTERVAL_SECONDS} seconds`],
    ['exit 0', `**${EXIT_OK}** done`],
    ['exit 1', `**${EXIT_CUSTOMER_FAILED}** something was not done`],
    ['exit 2', `**${EXIT_USAGE}** bad settings or usage`],
    ['exit 130', `**${EXIT_INTERRUPTED}** a second Ctrl-C stopped the command at once`],
    ['exit 130 (poll)', `A second Ctrl-C exits at once with ${EXIT_INTERRUPTED}`],
    ['exit 130 (npm start)', `a second Ctrl-C stops at once, exit ${EXIT_INTERRUPTED}`],
    ['sandbox events', `adding a new event every ${DEFAULT_NEW_EVENT_EVERY_MS / 1000} seconds`],
    ['customer ids', `from 1 to ${MAX_CUSTOMER_ID} (int64)`],
    ['redrive', `a ${REDRIVE_VISIBILITY_SECONDS / 60}-minute visibility timeout`],
  ])('%s', (_what, sentence) => {
    expect(cli).toContain(sentence);
  });
});

describe('docs/settings.md states what the code does', () => {
  it.each([
    [
      'the secret cache',
      `read at run time and cached ${DEFAULT_CREDENTIALS_MAX_AGE_MS / 60_000} minutes`,
    ],
    [
      'PutEvents packing',
      `up to ${MAX_ENTRIES_PER_PUT_EVENTS} entries (and the request byte limit) after a ${DEFAULT_LINGER_MS} ms linger`,
    ],
    ['the in-flight bound', `in flight (at most ${MAX_IN_FLIGHT})`],
    [
      'the clock skew bound',
      `more than ${MAX_CLOCK_SKEW_MS / 1000} s ahead (\`MAX_CLOCK_SKEW_MS\``,
    ],
  ])('%s', (_what, sentence) => {
    expect(settings).toContain(sentence);
  });

  it('sizes the customers in flight by the formula it states', () => {
    const headroom = stated(settings, /ceil\(CAPILLARY_RPS × observed latency × (\d+)\) \+ 1/);
    for (const [rps, latencyMs] of [
      [10, 250],
      [200, 50],
      [1.6, 900],
    ] as const) {
      expect(inFlightFor(rps, latencyMs)).toBe(Math.ceil(rps * (latencyMs / 1000) * headroom) + 1);
    }
  });
});

describe('docs/tests.md states what the code does', () => {
  it.each([
    [
      'supported Node',
      `${packageJson.engines.node.replace('>=', '')} or newer for the CLI (\`engines\`)`,
    ],
  ])('%s', (_what, sentence) => {
    expect(tests).toContain(sentence);
  });
});

describe('docs/deploying.md states what the code does', () => {
  it.each([
    [
      'the secret cache',
      `cache it for ${DEFAULT_CREDENTIALS_MAX_AGE_MS / 60_000} minutes, so a new value is used within ${DEFAULT_CREDENTIALS_MAX_AGE_MS / 60_000} minutes`,
    ],
    [
      'work messages',
      `in messages of up to ${CUSTOMERS_PER_MESSAGE}, every ${CLAIMS_PER_FLUSH} claims`,
    ],
    ['alert attributes', `up to ${LIMITS.maxAlertAttributes} \`detail.attributes\` entries`],
    ['the cursor budget', `the cursor item's ${MAX_CURSOR_ITEM_BYTES / 1000} KB byte budget`],
    [
      'the longest idle interval (knobs)',
      `| ${NUMBER_RULES.MAX_POLL_INTERVAL_SECONDS.max.value / 86_400} days; equal to \`pollInterval\` turns the tiers off |`,
    ],
    [
      'the longest claim (knobs)',
      `| claim ≤ ${NUMBER_RULES.CLAIM_SECONDS.max.value / 60} minutes, longer than the timeout |`,
    ],
  ])('%s', (_what, sentence) => {
    expect(deploying).toContain(sentence);
  });

  it('stops the scheduler claiming when it says', () => {
    expectTickMargin(deploying, /or in the last (\d+)% of its time \(at least (\d+) s\)/);
  });

  it('states the same workers range in the knobs as in the context table', () => {
    const range = (row: RegExp) => row.exec(deploying)?.slice(1, 3);
    const context = range(/\| `workers` \| `\d+` \| (\d+) to (\d+) \|/);
    expect(context).toHaveLength(2);
    expect(range(/\| `workers` \| [^|]+ \| (\d+) to (\d+), and the account's free/)).toEqual(
      context,
    );
  });
});
