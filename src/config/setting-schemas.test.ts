import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigErrors } from '../domain/errors.js';
import {
  NUMBER_RULES,
  type NumberSettingName,
  SETTING_SCHEMAS,
  settingDefault,
  settingProblems,
} from './setting-schemas.js';
import { loadSettings } from './settings.js';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadSettings(env, { allowEmbedded: true, uses: [] });
  } catch (error) {
    if (error instanceof ConfigErrors) return error.problems.map((problem) => problem.message);
    throw error;
  }
  return [];
};

describe('numeric settings: both bounds, each with its reason', () => {
  it.each<[string, string, string]>([
    [
      'CAPILLARY_RPS',
      '0.0001',
      'CAPILLARY_RPS: must be at least 0.1: a lower rate waits more than 10 s before every request, so even one customer per poll outlasts its claim and the CLI looks hung',
    ],
    [
      'CAPILLARY_RPS',
      '10001',
      "CAPILLARY_RPS: must be at most 10000: far above any Capillary cluster's quota (demo clusters allow 100 a minute): a higher value is a typo",
    ],
    [
      'POLL_INTERVAL_SECONDS',
      '0.001',
      'POLL_INTERVAL_SECONDS: must be at least 1: a shorter interval only repeats sweeps that find nothing due (0.001 ran 60 sweeps in 6 s)',
    ],
    [
      'POLL_INTERVAL_SECONDS',
      '86401',
      'POLL_INTERVAL_SECONDS: must be at most 86400: a customer with new events should be polled again within a day; set longer idle intervals with MAX_POLL_INTERVAL_SECONDS',
    ],
    [
      'SEEN_CAPACITY',
      '4500',
      'SEEN_CAPACITY: must be at most 4000: a save that finds events writes the whole seen set: 4,000 ids (14 bytes each) are already 55 write units a save',
    ],
    [
      'SEEN_CAPACITY',
      '9',
      'SEEN_CAPACITY: must be at least 10: fewer remembered ids re-publish events still in the API window',
    ],
    [
      'CLAIM_SECONDS',
      '901',
      "CLAIM_SECONDS: must be at most 900: 15 minutes, the longest a Lambda runs: a longer claim only delays a crashed poller's customers",
    ],
    [
      'CAPILLARY_TIMEOUT_MS',
      '100',
      'CAPILLARY_TIMEOUT_MS: must be at least 1000: a TLS handshake and one page of events can take longer than a second, so shorter deadlines fail healthy requests',
    ],
    [
      'POLL_CONCURRENCY',
      '-3',
      'POLL_CONCURRENCY: must be at least 1: at least one customer must be polled at a time',
    ],
    ['POLL_CONCURRENCY', '2.5', 'POLL_CONCURRENCY: must be a whole number'],
    ['CAPILLARY_RPS', '1,5', 'CAPILLARY_RPS: must be a number such as 2.5'],
    [
      'SWEEP_MAX_POLLS',
      '0',
      'SWEEP_MAX_POLLS: must be at least 1: a sweep that may poll nobody does nothing',
    ],
  ])('%s=%s is refused', (name, value, message) => {
    expect(problemsOf({ [name]: value })).toEqual([message]);
  });

  const names = Object.keys(NUMBER_RULES) as NumberSettingName[];

  it.each(names)('%s accepts both ends of its range and refuses just past each', (name) => {
    const { min, max, kind } = NUMBER_RULES[name];
    const step = kind === 'whole' ? 1 : 0.01;
    expect(settingProblems(name, String(min.value))).toEqual([]);
    expect(settingProblems(name, String(max.value))).toEqual([]);
    expect(settingProblems(name, String(min.value - step))).toEqual([
      `must be at least ${min.value}: ${min.why}`,
    ]);
    expect(settingProblems(name, String(max.value + step))).toEqual([
      `must be at most ${max.value}: ${max.why}`,
    ]);
  });

  it.each(names)('%s has a default inside its own range, or none', (name) => {
    const fallback = settingDefault(name);
    if (fallback !== undefined) expect(settingProblems(name, fallback)).toEqual([]);
  });

  it('every number setting of the schema has a rule (no bound restated elsewhere)', () => {
    const numeric = Object.keys(SETTING_SCHEMAS).filter((name) =>
      settingProblems(name as keyof typeof SETTING_SCHEMAS, 'x').some((p) =>
        /must be a (whole )?number/.test(p),
      ),
    );
    expect(numeric.sort()).toEqual([...names].sort());
  });
});

describe('settings across settings', () => {
  it('MAX_POLL_INTERVAL_SECONDS is at least POLL_INTERVAL_SECONDS', () => {
    expect(problemsOf({ POLL_INTERVAL_SECONDS: '600', MAX_POLL_INTERVAL_SECONDS: '60' })).toEqual([
      'MAX_POLL_INTERVAL_SECONDS: must be at least POLL_INTERVAL_SECONDS (600); equal turns activity tiers off',
    ]);
    expect(problemsOf({ POLL_INTERVAL_SECONDS: '60', MAX_POLL_INTERVAL_SECONDS: '60' })).toEqual(
      [],
    );
  });

  it('CLAIM_SECONDS outlasts one request retried to the end', () => {
    expect(
      problemsOf({ CLAIM_SECONDS: '60', CAPILLARY_TIMEOUT_MS: '20000', CAPILLARY_RPS: '0.5' }),
    ).toEqual([
      'CLAIM_SECONDS: must be more than CAPILLARY_MAX_ATTEMPTS × (CAPILLARY_TIMEOUT_MS + 1 / CAPILLARY_RPS) = 4 × 22 s = 88 s: a poll whose request is retried to the end would outlive its claim and publish nothing',
    ]);
    expect(
      problemsOf({ CLAIM_SECONDS: '89', CAPILLARY_TIMEOUT_MS: '20000', CAPILLARY_RPS: '0.5' }),
    ).toEqual([]);
  });

  it('a cross rule stays quiet when one of its settings is already reported', () => {
    expect(problemsOf({ CLAIM_SECONDS: '10', CAPILLARY_TIMEOUT_MS: 'slow' })).toEqual([
      'CAPILLARY_TIMEOUT_MS: must be a whole number',
    ]);
  });
});

describe('AWS names', () => {
  it.each([
    [
      'bad/name!',
      '"bad/name!" is not a DynamoDB table name: 3 to 255 characters, each a letter, digit, "_", "-" or "."',
    ],
    [
      'ab',
      '"ab" is not a DynamoDB table name: 3 to 255 characters, each a letter, digit, "_", "-" or "."',
    ],
    [
      'x'.repeat(256),
      `"${'x'.repeat(256)}" is not a DynamoDB table name: 3 to 255 characters, each a letter, digit, "_", "-" or "."`,
    ],
  ])('TABLE_NAME=%s is refused', (value, message) => {
    expect(problemsOf({ TABLE_NAME: value })).toEqual([`TABLE_NAME: ${message}`]);
  });

  it('TABLE_NAME accepts the names DynamoDB accepts', () => {
    for (const name of ['abc', 'capillary-event-poller', 'My_Table.v2', 'x'.repeat(255)]) {
      expect(settingProblems('TABLE_NAME', name)).toEqual([]);
    }
  });

  it('EVENT_BUS_NAME takes a bus name or a bus ARN', () => {
    for (const bus of [
      'default',
      'capillary',
      'aws.partner/acme.com/123/events',
      'arn:aws:events:eu-west-1:123456789012:event-bus/capillary',
    ]) {
      expect(settingProblems('EVENT_BUS_NAME', bus)).toEqual([]);
    }
    expect(problemsOf({ EVENT_BUS_NAME: 'my bus!' })).toEqual([
      'EVENT_BUS_NAME: "my bus!" is not an event bus name or ARN: a name is 1 to 256 letters, digits, ".", "_", "-" or "/"',
    ]);
    expect(
      settingProblems('EVENT_BUS_NAME', 'arn:aws:events:eu-west-1:12:event-bus/x'),
    ).toHaveLength(1);
  });

  it('DLQ_URL is a queue URL: a 12-digit account and a queue name', () => {
    for (const url of [
      'https://sqs.eu-west-1.amazonaws.com/123456789012/capillary-dlq',
      'https://sqs.eu-west-1.amazonaws.com/123456789012/capillary_dlq.fifo',
      'http://127.0.0.1:9324/000000000000/dlq',
    ]) {
      expect(settingProblems('DLQ_URL', url)).toEqual([]);
    }
    const refused = (url: string) => [
      `DLQ_URL: ${JSON.stringify(url)} is not an SQS queue URL: expected https://sqs.<region>.amazonaws.com/<12-digit account>/<queue name of 1 to 80 letters, digits, "-" or "_">`,
    ];
    for (const url of [
      'https://sqs.eu-west-1.amazonaws.com/capillary-dlq',
      'https://sqs.eu-west-1.amazonaws.com/123456789012/bad%20name',
      `https://sqs.eu-west-1.amazonaws.com/123456789012/${'q'.repeat(81)}`,
    ]) {
      expect(problemsOf({ DLQ_URL: url })).toEqual(refused(url));
    }
    expect(problemsOf({ DLQ_URL: 'http://sqs.eu-west-1.amazonaws.com/123456789012/q' })[0]).toMatch(
      /^DLQ_URL: plain http:\/\/ is refused/,
    );
  });
});

describe('docs/settings.md settings table', () => {
  const settingsDoc = readFileSync(new URL('../../docs/settings.md', import.meta.url), 'utf8');
  const rowOf = (name: string) =>
    settingsDoc.split('\n').find((line) => line.startsWith(`| \`${name}\``));

  it.each(Object.keys(NUMBER_RULES) as NumberSettingName[])(
    'states the range of %s as the schema has it',
    (name) => {
      const { min, max } = NUMBER_RULES[name];
      expect(rowOf(name)).toContain(`${min.value} to ${max.value}`);
    },
  );
});
