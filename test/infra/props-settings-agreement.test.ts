// The construct and the function agree: every prop value the construct accepts becomes an
// environment the function's settings check accepts, and a value refused is refused with the
// runtime's own message.
import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapillaryEventPoller } from '../../infra/capillary-event-poller.js';
import type { CapillaryEventPollerProps } from '../../infra/capillary-event-poller-props.js';
import {
  ENVIRONMENT_PROPS,
  type EnvironmentProp,
  inSeconds,
  settingsEnvironment,
  validatePollerProps,
} from '../../infra/props-validation.js';
import { NUMBER_RULES } from '../../src/config/setting-schemas.js';
import { loadSettings } from '../../src/config/settings.js';
import { ConfigErrors } from '../../src/domain/errors.js';
import { BASE_URL, testApp, thrownMessage } from './support.js';

/** What the construct sets from its own resources (tokens at synth), as a deployed stack has them. */
const RESOURCE_ENV: Record<string, string> = {
  CAPILLARY_BASE_URL: BASE_URL,
  CAPILLARY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:capillary-AbCdEf',
  TABLE_NAME: 'CapillaryEventPoller-Table1234',
  EVENT_BUS_NAME: 'CapillaryEventPollerEventBus1234',
  DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/CapillaryEventPoller-Dlq1234',
  DLQ_MAX_MESSAGE_BYTES: '1048576',
  WORK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/CapillaryEventPoller-Work1234',
};

/** The function's environment for these props, as the construct builds it. */
function functionEnvironment(props: CapillaryEventPollerProps): Record<string, string> {
  const environment = { ...RESOURCE_ENV, ...settingsEnvironment(props) };
  for (const [name, entry] of Object.entries(ENVIRONMENT_PROPS)) {
    const value = props[name as keyof CapillaryEventPollerProps];
    const text = value === undefined ? undefined : (entry as EnvironmentProp<unknown>).toEnv(value);
    if (entry.emit === 'resource' && text !== undefined) environment[entry.env] = text;
  }
  return environment;
}

/** The runtime's problems, each without its `NAME: ` prefix, with the variable's name. */
function runtimeProblems(environment: Record<string, string>): { env: string; message: string }[] {
  try {
    loadSettings(environment, { allowEmbedded: false });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigErrors)) throw error;
    return error.problems.map((problem) => ({
      env: problem.setting,
      message: problem.message.slice(problem.setting.length + 2),
    }));
  }
}

const stack = new Stack(testApp(), 'Agreement');
let imports = 0;
const tableNamed = (name: string) => dynamodb.Table.fromTableName(stack, `T${imports++}`, name);
const busNamed = (name: string) => events.EventBus.fromEventBusName(stack, `B${imports++}`, name);

/** Numbers around both bounds of a rule, and anything else a caller might pass. */
const numberAround = (rule: { min: { value: number }; max: { value: number } }) =>
  fc.oneof(
    fc.double({ min: rule.min.value - 5, max: rule.max.value + 5, noNaN: true }),
    fc.integer({ min: Math.floor(rule.min.value) - 5, max: Math.ceil(rule.max.value) + 5 }),
    fc.constantFrom(
      rule.min.value,
      rule.max.value,
      rule.min.value - 0.001,
      rule.max.value + 0.001,
      0,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1e21,
      1e-7,
    ),
  );
const textOr = (...valid: string[]) =>
  fc.oneof(fc.constantFrom(...valid), fc.string(), fc.string({ unit: 'grapheme-ascii' }));

const ARBITRARIES: Partial<Record<keyof CapillaryEventPollerProps, fc.Arbitrary<unknown>>> = {
  capillaryAuth: textOr('basic', 'oauth', 'token', 'Basic'),
  capillaryEventsPath: textOr('/v2/events?user={customerId}', '/v2/events', 'v2/{customerId}'),
  eventSource: textOr('capillary.events', 'acme/capillary', 'aws.capillary', 'a b'),
  // CDK itself refuses an empty name when importing.
  table: textOr('abc', 'ab', 'bad/name!', 'x'.repeat(255), 'x'.repeat(256))
    .filter((name) => name !== '')
    .map(tableNamed),
  eventBus: textOr('default', 'shared', 'my bus!', 'x'.repeat(256), 'x'.repeat(257))
    .filter((name) => name !== '')
    .map(busNamed),
  requestsPerSecond: numberAround(NUMBER_RULES.CAPILLARY_RPS),
  pollConcurrency: numberAround(NUMBER_RULES.POLL_CONCURRENCY),
  seenCapacity: numberAround(NUMBER_RULES.SEEN_CAPACITY),
  psiMode: textOr('mask', 'drop', 'pass', 'hide'),
  logLevel: textOr('DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'TRACE', 'info'),
  // Durations around the bounds, fractions of a second included (the setting takes whole seconds).
  changeFeedBackstop: numberAround(NUMBER_RULES.CHANGE_FEED_BACKSTOP_SECONDS)
    .filter((seconds) => Number.isFinite(seconds) && seconds >= 0 && seconds < 1e15)
    .map((seconds) => Duration.millis(Math.round(seconds * 1000))),
  changeFeedHintShare: numberAround(NUMBER_RULES.CHANGE_FEED_HINT_MAX_SHARE),
};
/** A prop added to ENVIRONMENT_PROPS without its own arbitrary still gets strings and numbers. */
const anyValue = fc.oneof(fc.string(), fc.double(), fc.integer());
const envProps = Object.keys(ENVIRONMENT_PROPS) as (keyof CapillaryEventPollerProps)[];

describe('the construct accepts exactly what the function accepts', () => {
  it.each(envProps)(
    '%s: accepted by the construct ⇒ accepted at run time; refused ⇒ with the runtime message',
    (name) => {
      const entry = ENVIRONMENT_PROPS[name] as EnvironmentProp<unknown>;
      fc.assert(
        fc.property(ARBITRARIES[name] ?? anyValue, (value) => {
          const props = { capillaryBaseUrl: BASE_URL, [name]: value } as CapillaryEventPollerProps;
          const constructProblems = validatePollerProps(props);
          const runtime = runtimeProblems(functionEnvironment(props));
          if (constructProblems.length === 0) {
            expect(runtime).toEqual([]);
            return;
          }
          const text = entry.toEnv(value) ?? '';
          // An empty variable is unset at run time (the default applies); the construct refuses it.
          if (text === '') return;
          expect(constructProblems).toEqual(
            runtime.map(
              ({ env, message }) => `${name}: ${message}, got ${env}=${JSON.stringify(text)}`,
            ),
          );
        }),
        { numRuns: 200 },
      );
    },
  );

  it('the props left unset give the runtime its own defaults', () => {
    expect(settingsEnvironment({ capillaryBaseUrl: BASE_URL })).toEqual({
      CAPILLARY_AUTH: 'basic',
      EVENT_SOURCE: 'capillary.events',
      CAPILLARY_RPS: '10',
      // No POLL_CONCURRENCY: in-flight polls are sized from CAPILLARY_RPS and the latency.
      SEEN_CAPACITY: '200',
      PSI_MODE: 'mask',
      LOG_LEVEL: 'INFO',
    });
  });

  it('seenCapacity 4500 fails in the construct with the message every invocation would fail with', () => {
    const runtime = runtimeProblems({ ...RESOURCE_ENV, SEEN_CAPACITY: '4500' });
    expect(runtime).toEqual([
      {
        env: 'SEEN_CAPACITY',
        message:
          'must be at most 4000: a save that finds events writes the whole seen set: 4,000 ids (14 bytes each) are already 55 write units a save',
      },
    ]);
    expect(
      thrownMessage(
        () =>
          new CapillaryEventPoller(new Stack(testApp(), 'TooMany'), 'Poller', {
            capillaryBaseUrl: BASE_URL,
            seenCapacity: 4500,
          }),
      ),
    ).toBe(
      `Invalid CapillaryEventPoller props:\n- seenCapacity: ${runtime[0]?.message}, got SEEN_CAPACITY="4500"`,
    );
  });

  it('an imported table whose name DynamoDB would refuse is refused at synth', () => {
    expect(
      validatePollerProps({ capillaryBaseUrl: BASE_URL, table: tableNamed('bad/name!') }),
    ).toEqual([
      'table: "bad/name!" is not a DynamoDB table name: 3 to 255 characters, each a letter, digit, "_", "-" or ".", got TABLE_NAME="bad/name!"',
    ]);
  });

  it('the synthesized function reads the environment the table describes, and accepts it', () => {
    const synthStack = new Stack(testApp(), 'Edges');
    const props: CapillaryEventPollerProps = {
      capillaryBaseUrl: BASE_URL,
      requestsPerSecond: NUMBER_RULES.CAPILLARY_RPS.min.value,
      pollConcurrency: NUMBER_RULES.POLL_CONCURRENCY.max.value,
      seenCapacity: NUMBER_RULES.SEEN_CAPACITY.max.value,
      table: dynamodb.Table.fromTableName(synthStack, 'Table', 'capillary-watchlist'),
    };
    new CapillaryEventPoller(synthStack, 'Poller', props);
    const functions = Object.values(
      Template.fromStack(synthStack).findResources('AWS::Lambda::Function'),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } }[];
    // The scheduler, the workers and the change feed read the same settings.
    expect(functions).toHaveLength(3);
    for (const fn of functions) {
      const variables = fn.Properties.Environment.Variables;
      const expected = functionEnvironment(props);
      for (const [name, value] of Object.entries(variables)) {
        // Tokens (Ref, GetAtt) are the construct's own resources; the rest must match exactly.
        if (typeof value === 'string' && name in expected) expect(value).toBe(expected[name]);
      }
      const deployed = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : (RESOURCE_ENV[name] ?? ''),
        ]),
      );
      expect(runtimeProblems(deployed)).toEqual([]);
      expect(deployed).toMatchObject({
        CAPILLARY_RPS: '0.1',
        POLL_CONCURRENCY: '256',
        SEEN_CAPACITY: '4000',
        TABLE_NAME: 'capillary-watchlist',
      });
    }
  }, 120_000);

  it('a Duration prop reaches its seconds setting as seconds; a token is left to deploy time', () => {
    expect(inSeconds(Duration.minutes(2))).toBe('120');
    expect(inSeconds(Duration.millis(1500))).toBe('1.5');
    expect(inSeconds(Duration.seconds(Lazy.number({ produce: () => 5 })))).toBeUndefined();
  });
});
