import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { CapillaryEventPoller } from '../../infra/capillary-event-poller.js';
import type { CapillaryEventPollerProps } from '../../infra/capillary-event-poller-props.js';
import { readAppContext } from '../../infra/context.js';
import { validatePollerProps } from '../../infra/props-validation.js';
import { BASE_URL, testApp, thrownMessage } from './support.js';

const ok: CapillaryEventPollerProps = { capillaryBaseUrl: BASE_URL };
const problems = (props: Partial<CapillaryEventPollerProps>) =>
  validatePollerProps({ ...ok, ...props } as CapillaryEventPollerProps);

describe('CapillaryEventPoller props validation', () => {
  it('accepts the minimal props', () => {
    expect(validatePollerProps(ok)).toEqual([]);
  });

  it.each<[string, Partial<CapillaryEventPollerProps>, string]>([
    [
      'a missing base URL',
      { capillaryBaseUrl: '' },
      'capillaryBaseUrl is required (e.g. "https://eu.api.capillarytech.com")',
    ],
    [
      'a base URL that is not a URL',
      { capillaryBaseUrl: 'eu.api.capillarytech.com' },
      'capillaryBaseUrl must be an https:// URL, got "eu.api.capillarytech.com"',
    ],
    [
      'plain http',
      { capillaryBaseUrl: 'http://eu.api.capillarytech.com' },
      'capillaryBaseUrl must use https://, got "http://eu.api.capillarytech.com"',
    ],
    [
      'a base URL with a query',
      { capillaryBaseUrl: 'https://x.example.com/?a=1' },
      'capillaryBaseUrl must not have a query or fragment, got "https://x.example.com/?a=1"',
    ],
    [
      'an unknown auth kind',
      { capillaryAuth: 'token' as never },
      'capillaryAuth: must be one of "basic", "oauth", got CAPILLARY_AUTH="token"',
    ],
    [
      'an events path without the customer placeholder',
      { capillaryEventsPath: '/v2/events' },
      'capillaryEventsPath: must contain {customerId}, got CAPILLARY_EVENTS_PATH="/v2/events"',
    ],
    [
      'a source reserved by AWS',
      { eventSource: 'aws.capillary' },
      'eventSource: must not start with "aws." (reserved by AWS), got EVENT_SOURCE="aws.capillary"',
    ],
    [
      'a source with spaces',
      { eventSource: 'capillary events' },
      'eventSource: must be 1 to 256 letters, digits, ".", "_", "-" or "/" (EventBridge\'s rule for a source), got EVENT_SOURCE="capillary events"',
    ],
    [
      'a poll interval under a minute',
      { pollInterval: Duration.seconds(30) },
      'pollInterval must be a whole number of minutes from 1 to 1440, got 30 seconds',
    ],
    [
      'a timeout longer than Lambda allows',
      { timeout: Duration.minutes(20), pollInterval: Duration.minutes(30) },
      'timeout must be from 40 seconds to 15 minutes, got 20 minutes',
    ],
    [
      'a timeout that leaves the handler no time after its safety margin',
      { timeout: Duration.seconds(20) },
      'timeout must be from 40 seconds to 15 minutes, got 20 seconds',
    ],
    [
      'a timeout as long as the interval',
      { timeout: Duration.seconds(60) },
      'timeout (1 minute) must be shorter than pollInterval (1 minute) so a sweep ends before the next is due',
    ],
    [
      'too little memory',
      { memorySize: 64 },
      'memorySize must be a whole number from 128 to 10240, got 64',
    ],
    [
      'a zero request rate',
      { requestsPerSecond: 0 },
      'requestsPerSecond: must be at least 0.1: a lower rate waits more than 10 s before every request, so even one customer per poll outlasts its claim and the CLI looks hung, got CAPILLARY_RPS="0"',
    ],
    [
      'a fractional concurrency',
      { pollConcurrency: 2.5 },
      'pollConcurrency: must be a whole number, got POLL_CONCURRENCY="2.5"',
    ],
    [
      'a tiny seen capacity',
      { seenCapacity: 5 },
      'seenCapacity: must be at least 10: fewer remembered ids re-publish events still in the API window, got SEEN_CAPACITY="5"',
    ],
    [
      'an unknown PSI mode',
      { psiMode: 'hide' as never },
      'psiMode: must be one of "mask", "drop", "pass", got PSI_MODE="hide"',
    ],
    [
      'an unknown log level',
      { logLevel: 'TRACE' as never },
      'logLevel: must be one of "DEBUG", "INFO", "WARN", "ERROR", "SILENT", got LOG_LEVEL="TRACE"',
    ],
    [
      'a service name with spaces',
      { serviceName: 'my poller' },
      'serviceName must be 1 to 64 letters, digits, ".", "_" or "-", got "my poller"',
    ],
    [
      'an archive retention in hours',
      { archiveRetention: Duration.hours(36) },
      'archiveRetention must be a whole number of days, at least 1, got 1 day 12 hours',
    ],
    [
      'an ops email that is not one',
      { opsEmails: ['oncall'] },
      'opsEmails: "oncall" is not an email address',
    ],
    [
      'a zero poll-error threshold',
      { alarmThresholds: { pollErrors: 0 } },
      'alarmThresholds.pollErrors must be a whole number at least 1, got 0',
    ],
    [
      'a staleness window shorter than two sweeps',
      { pollInterval: Duration.minutes(10), alarmThresholds: { noSweepFor: Duration.minutes(15) } },
      'alarmThresholds.noSweepFor must be whole minutes from twice the poll interval (20 minutes) to 1440 minutes, got 15 minutes',
    ],
    [
      'a lag threshold under a minute',
      { alarmThresholds: { lag: Duration.seconds(30) } },
      'alarmThresholds.lag must be at least 1 minute, got 30 seconds',
    ],
    [
      'a duration share over 100%',
      { alarmThresholds: { durationPercentOfTimeout: 120 } },
      'alarmThresholds.durationPercentOfTimeout must be more than 0 and at most 100, got 120',
    ],
  ])('refuses %s with an exact message', (_case, props, message) => {
    expect(problems(props)).toEqual([message]);
  });

  describe('alerts', () => {
    const email = ['oncall@example.com'];
    it.each<[string, Partial<CapillaryEventPollerProps>, string[]]>([
      [
        'a name that cannot name a construct',
        { alerts: [{ name: 'big spender', eventNames: ['Purchase'], email }] },
        [
          'alerts[0].name must be 1 to 64 letters, digits or "-", starting with a letter or digit, got "big spender"',
        ],
      ],
      [
        'two alerts with one name',
        {
          alerts: [
            { name: 'vip', eventNames: ['A'], email },
            { name: 'vip', eventNames: ['B'], email },
          ],
        },
        ['alerts[1].name "vip" is used by another alert'],
      ],
      [
        'no event name',
        { alerts: [{ name: 'vip', eventNames: [], email }] },
        ['alerts[0] ("vip").eventNames must list at least one event name'],
      ],
      [
        'an empty or repeated event name',
        { alerts: [{ name: 'vip', eventNames: ['A', ' ', 'A'], email }] },
        [
          'alerts[0] ("vip").eventNames[1] must be a non-empty string',
          'alerts[0] ("vip").eventNames lists "A" twice',
        ],
      ],
      [
        'nobody to tell',
        { alerts: [{ name: 'vip', eventNames: ['A'] }] },
        ['alerts[0] ("vip") needs an email list or a topic: nobody would be told'],
      ],
      [
        'a bad email',
        { alerts: [{ name: 'vip', eventNames: ['A'], email: ['vip-desk'] }] },
        ['alerts[0] ("vip").email: "vip-desk" is not an email address'],
      ],
      [
        'an attribute name that is not a plain name',
        { alerts: [{ name: 'vip', eventNames: ['A'], email, attributes: ['store.code'] }] },
        [
          'alerts[0] ("vip").attributes: "store.code" is not a plain attribute name (letters, digits, "_")',
        ],
      ],
      [
        'too many attributes',
        {
          alerts: [
            {
              name: 'vip',
              eventNames: ['A'],
              email,
              attributes: Array.from({ length: 11 }, (_, i) => `a${i}`),
            },
          ],
        },
        ['alerts[0] ("vip").attributes may name at most 10 attributes, got 11'],
      ],
      [
        'a detail filter that is not an object',
        { alerts: [{ name: 'vip', eventNames: ['A'], email, detail: ['x'] as never }] },
        ['alerts[0] ("vip").detail must be an object (an EventBridge detail pattern)'],
      ],
    ])('refuses %s', (_case, props, expected) => {
      expect(problems(props)).toEqual(expected);
    });
  });

  it('reports every problem at once, and the construct throws them together', () => {
    const props = {
      capillaryBaseUrl: 'http://x.example.com',
      eventSource: 'aws.events',
      memorySize: 1,
    };
    expect(thrownMessage(() => new CapillaryEventPoller(new Stack(), 'Poller', props))).toBe(
      [
        'Invalid CapillaryEventPoller props:',
        '- capillaryBaseUrl must use https://, got "http://x.example.com"',
        '- eventSource: must not start with "aws." (reserved by AWS), got EVENT_SOURCE="aws.events"',
        '- memorySize must be a whole number from 128 to 10240, got 1',
      ].join('\n'),
    );
  });

  it('refuses a bus of another region than the stack, and accepts one of its own region', () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/shared';
    const pollerIn = (region: string) => {
      const stack = new Stack(testApp(), `Bus${region}`, {
        env: { account: '123456789012', region },
      });
      const eventBus = events.EventBus.fromEventBusArn(stack, 'Bus', arn);
      return () => new CapillaryEventPoller(stack, 'Poller', { ...ok, eventBus });
    };
    expect(thrownMessage(pollerIn('us-east-1'))).toBe(
      [
        'Invalid CapillaryEventPoller props:',
        "- eventBus is in eu-west-1, but the stack deploys to us-east-1: PutEvents only reaches a bus in the function's region. Use a bus in us-east-1, or forward to eu-west-1 with a rule",
      ].join('\n'),
    );
    expect(pollerIn('eu-west-1')).not.toThrow();
  });

  it('refuses onEvent without event names', () => {
    const poller = new CapillaryEventPoller(new Stack(testApp(), 'OnEvent'), 'Poller', ok);
    expect(() =>
      poller.onEvent('Nothing', {
        eventNames: [],
        target: { bind: () => ({ arn: 'arn:aws:sns:eu-west-1:123456789012:t' }) },
      }),
    ).toThrow('onEvent("Nothing"): eventNames must list at least one event name');
  });

  it('creates the secret with the oauth shape when capillaryAuth is oauth', () => {
    const stack = new Stack(testApp(), 'OAuth');
    new CapillaryEventPoller(stack, 'Poller', { ...ok, capillaryAuth: 'oauth' });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::Secret', {
      SecretString: '{"clientKey":"","clientSecret":""}',
    });
    // A whole synthesis: room for a loaded machine.
  }, 120_000);
});

describe('scale-out props validation', () => {
  it('accepts the documented knobs', () => {
    expect(
      problems({
        workers: 2,
        pollInterval: Duration.minutes(2),
        maxPollInterval: Duration.minutes(2),
        claimDuration: Duration.seconds(111),
        sweepMaxPolls: 1,
        keepWatchlistIndex: true,
      }),
    ).toEqual([]);
    expect(problems({ workers: 1000, maxPollInterval: Duration.days(7) })).toEqual([]);
  });

  it.each<[string, Partial<CapillaryEventPollerProps>, string]>([
    [
      'one worker (an SQS event source needs at least 2)',
      { workers: 1 },
      "workers must be a whole number from 2 to 1000 (an SQS event source's maximum concurrency), got 1",
    ],
    [
      'more workers than an SQS event source allows',
      { workers: 1001 },
      "workers must be a whole number from 2 to 1000 (an SQS event source's maximum concurrency), got 1001",
    ],
    [
      'fractional workers',
      { workers: 2.5 },
      "workers must be a whole number from 2 to 1000 (an SQS event source's maximum concurrency), got 2.5",
    ],
    [
      'a longest interval shorter than the shortest',
      { pollInterval: Duration.minutes(5), maxPollInterval: Duration.minutes(2) },
      'maxPollInterval (2 minutes) must be at least pollInterval (5 minutes); equal turns the activity tiers off',
    ],
    [
      'a longest interval beyond 7 days, with the runtime’s own message',
      { maxPollInterval: Duration.days(8) },
      'maxPollInterval: must be at most 604800: an idle customer is polled at least weekly, before its API window rolls past unseen events, got MAX_POLL_INTERVAL_SECONDS="691200"',
    ],
    [
      'a claim no longer than the worker timeout',
      { claimDuration: Duration.seconds(50) },
      'claimDuration (50 seconds) must be longer than the worker timeout (50 seconds): a worker must be gone before the claims of its message expire',
    ],
    [
      'a claim longer than 15 minutes, with the runtime’s own message',
      { claimDuration: Duration.minutes(16) },
      'claimDuration: must be at most 900: 15 minutes, the longest a Lambda runs: a longer claim only delays a crashed poller\'s customers, got CLAIM_SECONDS="960"',
    ],
    [
      'a worker timeout the longest claim cannot outlast',
      { pollInterval: Duration.minutes(30), timeout: Duration.minutes(15) },
      'timeout (15 minutes) must be shorter than the longest claimDuration (15 minutes): a worker must be gone before the claims of its message expire',
    ],
    [
      'no polls per tick, with the runtime’s own message',
      { sweepMaxPolls: 0 },
      'sweepMaxPolls: must be at least 1: a sweep that may poll nobody does nothing, got SWEEP_MAX_POLLS="0"',
    ],
    [
      'the legacy index on a table the construct does not create',
      {
        keepWatchlistIndex: true,
        table: { tableName: 'existing' } as CapillaryEventPollerProps['table'],
      },
      'keepWatchlistIndex applies to the table this construct creates; an existing table keeps the indexes you give it',
    ],
  ])('refuses %s', (_name, props, message) => {
    expect(problems(props)).toEqual([message]);
  });

  it('keeps the 0.1.0 watchlist index beside the due index while upgrading, one index change per deploy', () => {
    const indexes = (keepWatchlistIndex: boolean) => {
      const stack = new Stack(testApp(), `Upgrade${keepWatchlistIndex}`);
      new CapillaryEventPoller(stack, 'Poller', { ...ok, keepWatchlistIndex });
      const tables = Template.fromStack(stack).findResources('AWS::DynamoDB::Table');
      const [table] = Object.values(tables) as {
        Properties: { GlobalSecondaryIndexes: { IndexName: string; Projection: unknown }[] };
      }[];
      return table?.Properties.GlobalSecondaryIndexes ?? [];
    };
    const upgrading = indexes(true);
    expect(upgrading.map((index) => index.IndexName)).toEqual(['watchlist', 'due']);
    // Exactly 0.1.0's index, so CloudFormation sees no change to it.
    expect(upgrading[0]).toEqual({
      IndexName: 'watchlist',
      KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
      Projection: {
        ProjectionType: 'INCLUDE',
        NonKeyAttributes: [
          'scope',
          'mode',
          'status',
          'lastSeenId',
          'lastSeenDate',
          'windowDigest',
          'version',
          'createdAt',
          'updatedAt',
        ],
      },
    });
    expect(indexes(false).map((index) => index.IndexName)).toEqual(['due']);
  }, 120_000);

  it('derives a valid claim from a long interval: the default worker timeout stays below it', () => {
    expect(problems({ pollInterval: Duration.hours(2) })).toEqual([]);
    const stack = new Stack(testApp(), 'LongInterval');
    const poller = new CapillaryEventPoller(stack, 'Poller', {
      ...ok,
      pollInterval: Duration.hours(2),
    });
    expect(poller.timeout.toSeconds()).toBe(840);
    expect(poller.claimDuration.toSeconds()).toBe(900);
  });
});

describe('app context (infra/app.ts)', () => {
  const read = (context: Record<string, unknown>) => readAppContext((key) => context[key]);
  const props = (context: Record<string, unknown>) => {
    const settings = read(context);
    return { settings, props: settings.poller(new Stack(testApp(), 'Ctx')) };
  };

  it('needs only the base URL and defaults the rest', () => {
    const { settings, props: p } = props({ capillaryBaseUrl: BASE_URL });
    expect(settings.stackName).toBe('CapillaryEventPoller');
    expect(settings.nag).toBe(true);
    expect(p).toMatchObject({ capillaryBaseUrl: BASE_URL, alerts: [] });
    expect(p.pollInterval).toBeUndefined();
    expect(p.capillarySecret).toBeUndefined();
    expect(p.eventBus).toBeUndefined();
    expect(validatePollerProps(p)).toEqual([]);
  });

  it('reads -c strings: numbers, flags, lists, JSON alerts and existing resources', () => {
    const { settings, props: p } = props({
      stackName: 'CapillaryEu',
      capillaryBaseUrl: BASE_URL,
      capillaryAuth: 'oauth',
      capillarySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:capillary-AbCdEf',
      eventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/shared',
      pollIntervalMinutes: '5',
      scheduleEnabled: 'false',
      archiveRetentionDays: '7',
      logRetentionDays: '90',
      opsEmails: 'a@example.com, b@example.com',
      alerts: JSON.stringify([
        { name: 'vip', eventNames: ['Purchase'], email: ['c@example.com'], attributes: ['amount'] },
        {
          name: 'desk',
          eventNames: ['TierUpgrade'],
          topicArn: 'arn:aws:sns:eu-west-1:123456789012:desk',
        },
      ]),
      nag: 'false',
      workers: '12',
      maxPollIntervalMinutes: '240',
      claimSeconds: '400',
      sweepMaxPolls: '2000',
      keepWatchlistIndex: 'true',
    });
    expect(settings).toMatchObject({ stackName: 'CapillaryEu', nag: false });
    expect(p).toMatchObject({ workers: 12, sweepMaxPolls: 2000, keepWatchlistIndex: true });
    expect(p.maxPollInterval?.toMinutes()).toBe(240);
    expect(p.claimDuration?.toSeconds()).toBe(400);
    expect(p.capillaryAuth).toBe('oauth');
    expect(p.pollInterval?.toMinutes()).toBe(5);
    expect(p.scheduleEnabled).toBe(false);
    expect(p.archiveRetention?.toDays()).toBe(7);
    expect(p.logRetention).toBe(90);
    expect(p.opsEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(p.capillarySecret?.secretArn).toBe(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:capillary-AbCdEf',
    );
    expect(p.eventBus?.eventBusName).toBe('shared');
    expect(p.alerts?.[0]).toMatchObject({ name: 'vip', attributes: ['amount'], topic: undefined });
    expect((p.alerts?.[1]?.topic as sns.ITopic | undefined)?.topicArn).toBe(
      'arn:aws:sns:eu-west-1:123456789012:desk',
    );
    expect(validatePollerProps(p)).toEqual([]);
  });

  it('takes real JSON from cdk.json as well', () => {
    const { props: p } = props({
      capillaryBaseUrl: BASE_URL,
      opsEmails: ['a@example.com'],
      alerts: [{ name: 'vip', eventNames: ['Purchase'], email: ['c@example.com'] }],
      pollIntervalMinutes: 2,
      dashboard: false,
    });
    expect(p).toMatchObject({ opsEmails: ['a@example.com'], dashboard: false });
    expect(p.pollInterval?.toMinutes()).toBe(2);
    expect(p.alerts).toHaveLength(1);
  });

  it('checks the keys the function reads with the runtime schema, message for message', () => {
    expect(
      thrownMessage(() =>
        read({
          capillaryBaseUrl: BASE_URL,
          seenCapacity: 4500,
          requestsPerSecond: '0.0001',
          pollConcurrency: '2.5',
          tableName: 'bad/name!',
          psiMode: 'hide',
        }),
      ).split('\n'),
    ).toEqual([
      'Invalid CDK context:',
      '- -c tableName: "bad/name!" is not a DynamoDB table name: 3 to 255 characters, each a letter, digit, "_", "-" or ".", got TABLE_NAME="bad/name!"',
      '- -c requestsPerSecond: must be at least 0.1: a lower rate waits more than 10 s before every request, so even one customer per poll outlasts its claim and the CLI looks hung, got CAPILLARY_RPS="0.0001"',
      '- -c pollConcurrency: must be a whole number, got POLL_CONCURRENCY="2.5"',
      '- -c seenCapacity: must be at most 4000: a save that finds events writes the whole seen set: 4,000 ids (14 bytes each) are already 55 write units a save, got SEEN_CAPACITY="4500"',
      '- -c psiMode: must be one of "mask", "drop", "pass", got PSI_MODE="hide"',
    ]);
  });

  it('lists every bad key at once', () => {
    expect(
      thrownMessage(() =>
        read({
          capillaryAuth: 'token',
          capillarySecretArn: 'capillary-credentials',
          pollIntervalMinutes: 'often',
          scheduleEnabled: 'yes',
          logRetentionDays: '10',
          workers: 'many',
          keepWatchlistIndex: 'maybe',
          alerts: '[{"name": "vip"}]',
        }),
      ).split('\n'),
    ).toEqual([
      'Invalid CDK context:',
      '- -c capillaryBaseUrl is required: the Capillary API host of your cluster, e.g. -c capillaryBaseUrl=https://eu.api.capillarytech.com',
      '- -c capillaryAuth: must be one of "basic", "oauth", got CAPILLARY_AUTH="token"',
      '- -c capillarySecretArn: expected a complete secret ARN (ending in -XXXXXX), got "capillary-credentials"',
      '- -c pollIntervalMinutes: expected a number, got "often"',
      '- -c scheduleEnabled: expected true or false, got "yes"',
      expect.stringMatching(/^- -c logRetentionDays: expected one of 1, 3, 5, .*, got 10$/),
      '- -c alerts[0]: expected {"name": string, "eventNames": [string], "email"?: [string], "topicArn"?: string, "detail"?: object, "attributes"?: [string]}, got {"name":"vip"}',
      '- -c workers: expected a number, got "many"',
      '- -c keepWatchlistIndex: expected true or false, got "maybe"',
    ]);
  });
});
