import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DUE_INDEX_NAME } from '../src/adapters/dynamodb/due-index.js';
import type {
  CapillaryAuth,
  CapillaryEventPollerProps,
  PollerAlarmThresholds,
  PollerAlert,
  PollerLogLevel,
  PsiMode,
} from './capillary-event-poller-props.js';
import { readContextWebhooks } from './context-webhooks.js';
import {
  ENVIRONMENT_PROPS,
  environmentPropProblems,
  settingTextProblems,
  validatePollerProps,
} from './props-validation.js';

/**
 * The deploy-time settings `infra/app.ts` reads from CDK context: `-c key=value` on the command
 * line, or `"context"` in cdk.json (where lists and alerts may be real JSON). What each one does
 * is told once, in `scripts/context-docs.ts`, for docs/deploying.md.
 */
export const CONTEXT_KEYS = [
  'stackName',
  'capillaryBaseUrl',
  'capillaryAuth',
  'capillarySecretArn',
  'capillaryEventsPath',
  'eventBusArn',
  'eventSource',
  'archiveRetentionDays',
  'busLogLevel',
  'busLogIncludeDetail',
  'tableName',
  'tableRemovalPolicy',
  'pollIntervalMinutes',
  'scheduleEnabled',
  'timeoutSeconds',
  'memorySize',
  'requestsPerSecond',
  'pollConcurrency',
  'seenCapacity',
  'psiMode',
  'logLevel',
  'logRetentionDays',
  'serviceName',
  'opsTopicArn',
  'opsEmails',
  'pollErrorsAlarmThreshold',
  'noSweepAlarmMinutes',
  'lagAlarmMinutes',
  'alerts',
  'webhooks',
  'dashboard',
  'schemaRegistry',
  'changeFeed',
  'changeFeedBackstopHours',
  'changeFeedHintShare',
  'nag',
  'workers',
  'maxPollIntervalMinutes',
  'claimSeconds',
  'sweepMaxPolls',
  'keepWatchlistIndex',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

export interface AppSettings {
  readonly stackName: string;
  readonly nag: boolean;
  /** Builds the poller's props inside the stack (imports of existing resources need it). */
  readonly poller: (stack: Stack) => CapillaryEventPollerProps;
}

const SECRET_COMPLETE_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const LOG_RETENTION_DAYS = new Set(
  Object.values(logs.RetentionDays).filter((value): value is number => typeof value === 'number'),
);

/** The props a context key sets, as the construct's problems name them (`pollInterval must ...`). */
const PROP_OF_CONTEXT_KEY: Partial<Record<ContextKey, string>> = {
  pollIntervalMinutes: 'pollInterval',
  maxPollIntervalMinutes: 'maxPollInterval',
  timeoutSeconds: 'timeout',
  claimSeconds: 'claimDuration',
  archiveRetentionDays: 'archiveRetention',
  memorySize: 'memorySize',
  workers: 'workers',
  sweepMaxPolls: 'sweepMaxPolls',
  serviceName: 'serviceName',
  pollErrorsAlarmThreshold: 'alarmThresholds.pollErrors',
  noSweepAlarmMinutes: 'alarmThresholds.noSweepFor',
  lagAlarmMinutes: 'alarmThresholds.lag',
  opsEmails: 'opsEmails',
};

/** Context keys of CDK itself (feature flags, the CLI's own), which this app does not read. */
const isCdkKey = (key: string): boolean => key.startsWith('@') || key.includes(':');

/** The edit distance between two keys (insertions, deletions, substitutions; case ignored). */
function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = (previous[j - 1] as number) + (left[i - 1] === right[j - 1] ? 0 : 1);
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        substitution,
      );
    }
    previous = current;
  }
  return previous[right.length] as number;
}

/** One problem per context key this app does not know, with the nearest known key when close. */
function unknownContextKeyProblems(given: readonly string[]): string[] {
  const known: readonly string[] = CONTEXT_KEYS;
  return given
    .filter((key) => !isCdkKey(key) && !known.includes(key))
    .map((key) => {
      const [nearest] = known
        .map((candidate) => ({ candidate, distance: editDistance(key, candidate) }))
        .sort((a, b) => a.distance - b.distance);
      const close =
        nearest !== undefined && nearest.distance <= Math.max(2, Math.floor(key.length / 4));
      return `-c ${key}: unknown context key${close ? `; did you mean ${nearest.candidate}?` : ''} (the keys are listed in docs/deploying.md)`;
    });
}

/**
 * Reads and checks every context key at once; throws one error listing every problem. `given`:
 * every key set (cdk.json and `-c`), so a misspelt one is refused instead of ignored.
 */
export function readAppContext(
  get: (key: ContextKey) => unknown,
  given: readonly string[] = [],
): AppSettings {
  const problems: string[] = [...unknownContextKeyProblems(given)];
  const bad = (key: ContextKey, expected: string, value: unknown) =>
    problems.push(`-c ${key}: expected ${expected}, got ${JSON.stringify(value)}`);

  const raw = (key: ContextKey): unknown => {
    const value = get(key);
    return value === '' ? undefined : value;
  };
  const text = (key: ContextKey): string | undefined => {
    const value = raw(key);
    if (value === undefined || typeof value === 'string') return value;
    bad(key, 'a string', value);
    return undefined;
  };
  const oneOf = <T extends string>(key: ContextKey, allowed: readonly T[]): T | undefined => {
    const value = text(key);
    if (value === undefined || (allowed as readonly string[]).includes(value)) {
      return value as T | undefined;
    }
    bad(key, allowed.join(' | '), value);
    return undefined;
  };
  const number = (key: ContextKey): number | undefined => {
    const value = raw(key);
    if (value === undefined) return undefined;
    const parsed = typeof value === 'number' ? value : Number(value);
    if (typeof value !== 'boolean' && Number.isFinite(parsed)) return parsed;
    bad(key, 'a number', value);
    return undefined;
  };
  const flag = (key: ContextKey): boolean | undefined => {
    const value = raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    bad(key, 'true or false', value);
    return undefined;
  };
  const json = (key: ContextKey): unknown => {
    const value = raw(key);
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      bad(key, 'JSON', value);
      return undefined;
    }
  };
  const list = (key: ContextKey): string[] | undefined => {
    const value = raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string' && !value.trimStart().startsWith('[')) {
      return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    }
    const parsed = json(key);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
    if (parsed !== undefined) bad(key, 'a comma-separated or JSON list of strings', value);
    return undefined;
  };

  /**
   * A key the construct hands to the function as a setting: checked by the runtime's own schema,
   * on the text the function would read, so `cdk synth` reports what every invocation would.
   */
  const setting = <T>(
    key: ContextKey,
    prop: keyof typeof ENVIRONMENT_PROPS,
    value: T,
  ): T | undefined => {
    const found = environmentPropProblems(prop, value, `-c ${key}`);
    problems.push(...found);
    return found.length === 0 ? value : undefined;
  };

  const stackName = text('stackName') ?? 'CapillaryEventPoller';
  const capillaryBaseUrl = text('capillaryBaseUrl');
  if (capillaryBaseUrl === undefined && raw('capillaryBaseUrl') === undefined) {
    problems.push(
      '-c capillaryBaseUrl is required: the Capillary API host of your cluster, e.g. -c capillaryBaseUrl=https://eu.api.capillarytech.com',
    );
  }
  const capillaryAuth = setting('capillaryAuth', 'capillaryAuth', text('capillaryAuth')) as
    | CapillaryAuth
    | undefined;
  const secretArn = text('capillarySecretArn');
  if (secretArn !== undefined && !SECRET_COMPLETE_ARN.test(secretArn)) {
    bad('capillarySecretArn', 'a complete secret ARN (ending in -XXXXXX)', secretArn);
  }
  const capillaryEventsPath = setting(
    'capillaryEventsPath',
    'capillaryEventsPath',
    text('capillaryEventsPath'),
  );
  const eventBusArn = text('eventBusArn');
  if (
    eventBusArn !== undefined &&
    !/^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/.+$/.test(eventBusArn)
  ) {
    bad('eventBusArn', 'an event bus ARN', eventBusArn);
  }
  const eventSource = setting('eventSource', 'eventSource', text('eventSource'));
  const archiveRetentionDays = number('archiveRetentionDays');
  const busLogLevel = oneOf('busLogLevel', ['ERROR', 'INFO', 'TRACE']);
  const busLogIncludeDetail = flag('busLogIncludeDetail');
  if (busLogIncludeDetail !== undefined && busLogLevel === undefined) {
    problems.push('-c busLogIncludeDetail needs -c busLogLevel (ERROR, INFO or TRACE)');
  }
  const tableName = text('tableName');
  if (tableName !== undefined) {
    const env = ENVIRONMENT_PROPS.table?.env ?? 'TABLE_NAME';
    problems.push(...settingTextProblems(env, tableName, '-c tableName'));
  }
  const tableRemovalPolicy = oneOf('tableRemovalPolicy', ['retain', 'destroy']);
  const pollIntervalMinutes = number('pollIntervalMinutes');
  const scheduleEnabled = flag('scheduleEnabled');
  const timeoutSeconds = number('timeoutSeconds');
  const memorySize = number('memorySize');
  const requestsPerSecond = setting(
    'requestsPerSecond',
    'requestsPerSecond',
    number('requestsPerSecond'),
  );
  const pollConcurrency = setting('pollConcurrency', 'pollConcurrency', number('pollConcurrency'));
  const seenCapacity = setting('seenCapacity', 'seenCapacity', number('seenCapacity'));
  const psiMode = setting('psiMode', 'psiMode', text('psiMode')) as PsiMode | undefined;
  const logLevel = setting('logLevel', 'logLevel', text('logLevel')) as PollerLogLevel | undefined;
  const logRetentionDays = number('logRetentionDays');
  if (logRetentionDays !== undefined && !LOG_RETENTION_DAYS.has(logRetentionDays)) {
    bad('logRetentionDays', `one of ${[...LOG_RETENTION_DAYS].join(', ')}`, logRetentionDays);
  }
  const serviceName = text('serviceName');
  const opsTopicArn = text('opsTopicArn');
  const opsEmails = list('opsEmails');
  const pollErrors = number('pollErrorsAlarmThreshold');
  const noSweepMinutes = number('noSweepAlarmMinutes');
  const lagMinutes = number('lagAlarmMinutes');
  const alerts = readAlerts(json('alerts'), problems);
  const webhooks = readContextWebhooks(json('webhooks'), problems);
  const dashboard = flag('dashboard');
  const schemaRegistry = flag('schemaRegistry');
  const changeFeed = flag('changeFeed');
  const backstopHours = number('changeFeedBackstopHours');
  const changeFeedBackstop = setting(
    'changeFeedBackstopHours',
    'changeFeedBackstop',
    backstopHours === undefined ? undefined : Duration.minutes(Math.round(backstopHours * 60)),
  );
  const changeFeedHintShare = setting(
    'changeFeedHintShare',
    'changeFeedHintShare',
    number('changeFeedHintShare'),
  );
  const nag = flag('nag') ?? true;
  const workers = number('workers');
  const maxPollIntervalMinutes = number('maxPollIntervalMinutes');
  const claimSeconds = number('claimSeconds');
  const sweepMaxPolls = number('sweepMaxPolls');
  const keepWatchlistIndex = flag('keepWatchlistIndex');

  const fail = () => {
    throw new Error(`Invalid CDK context:\n- ${problems.join('\n- ')}`);
  };
  if (problems.length > 0) fail();

  const thresholds: PollerAlarmThresholds = {
    pollErrors,
    noSweepFor: noSweepMinutes === undefined ? undefined : Duration.minutes(noSweepMinutes),
    lag: lagMinutes === undefined ? undefined : Duration.minutes(lagMinutes),
  };

  const settings: AppSettings = {
    stackName,
    nag,
    poller: (stack) => ({
      capillaryBaseUrl: capillaryBaseUrl ?? '',
      capillaryAuth,
      capillarySecret:
        secretArn === undefined
          ? undefined
          : secretsmanager.Secret.fromSecretCompleteArn(stack, 'CapillarySecret', secretArn),
      capillaryEventsPath,
      eventBus:
        eventBusArn === undefined
          ? undefined
          : events.EventBus.fromEventBusArn(stack, 'ExistingEventBus', eventBusArn),
      eventSource,
      archiveRetention:
        archiveRetentionDays === undefined ? undefined : Duration.days(archiveRetentionDays),
      busLogs:
        busLogLevel === undefined
          ? undefined
          : { level: busLogLevel, includeDetail: busLogIncludeDetail ?? false },
      table:
        tableName === undefined
          ? undefined
          : dynamodb.Table.fromTableAttributes(stack, 'ExistingTable', {
              tableName,
              globalIndexes: [DUE_INDEX_NAME],
            }),
      tableRemovalPolicy:
        tableRemovalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      pollInterval:
        pollIntervalMinutes === undefined ? undefined : Duration.minutes(pollIntervalMinutes),
      scheduleEnabled,
      timeout: timeoutSeconds === undefined ? undefined : Duration.seconds(timeoutSeconds),
      memorySize,
      requestsPerSecond,
      pollConcurrency,
      seenCapacity,
      psiMode,
      logLevel,
      logRetention: logRetentionDays as logs.RetentionDays | undefined,
      serviceName,
      opsTopic:
        opsTopicArn === undefined
          ? undefined
          : sns.Topic.fromTopicArn(stack, 'ExistingOpsTopic', opsTopicArn),
      opsEmails,
      alarmThresholds: thresholds,
      alerts: alerts.map(({ topicArn, ...alert }, index) => ({
        ...alert,
        topic:
          topicArn === undefined
            ? undefined
            : sns.Topic.fromTopicArn(stack, `ExistingAlertTopic${index}`, topicArn),
      })),
      webhooks,
      dashboard,
      schemaRegistry,
      changeFeed,
      changeFeedBackstop,
      changeFeedHintShare,
      workers,
      maxPollInterval:
        maxPollIntervalMinutes === undefined ? undefined : Duration.minutes(maxPollIntervalMinutes),
      claimDuration: claimSeconds === undefined ? undefined : Duration.seconds(claimSeconds),
      sweepMaxPolls,
      keepWatchlistIndex,
    }),
  };
  // The construct's own checks, on a scratch stack, each problem naming the context key it is of.
  // The scratch app never synthesizes: under the CLI an App writes itself to cdk.out on exit, and
  // its manifest would replace the real app's (`cdk deploy` would see only this empty stack).
  const scratch = new Stack(new App({ autoSynth: false }), 'Check');
  problems.push(...validatePollerProps(settings.poller(scratch)).map(namedByKey));
  if (problems.length > 0) fail();
  return settings;
}

/** `pollInterval must be ...` as `-c pollIntervalMinutes: pollInterval must be ...`. */
function namedByKey(problem: string): string {
  for (const [key, prop] of Object.entries(PROP_OF_CONTEXT_KEY)) {
    if (
      problem.startsWith(`${prop} `) ||
      problem.startsWith(`${prop}.`) ||
      problem.startsWith(`${prop} (`)
    ) {
      return `-c ${key}: ${problem}`;
    }
  }
  return problem;
}

type ContextAlert = Omit<PollerAlert, 'topic'> & { topicArn?: string };

function readAlerts(value: unknown, problems: string[]): ContextAlert[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`-c alerts: expected a JSON list of alerts, got ${JSON.stringify(value)}`);
    return [];
  }
  const alerts: ContextAlert[] = [];
  value.forEach((item: unknown, index) => {
    const isObject = typeof item === 'object' && item !== null && !Array.isArray(item);
    const alert = (isObject ? item : {}) as Record<string, unknown>;
    const strings = (field: unknown) =>
      Array.isArray(field) && field.every((entry) => typeof entry === 'string');
    if (
      !isObject ||
      typeof alert.name !== 'string' ||
      !strings(alert.eventNames) ||
      (alert.email !== undefined && !strings(alert.email)) ||
      (alert.attributes !== undefined && !strings(alert.attributes)) ||
      (alert.topicArn !== undefined && typeof alert.topicArn !== 'string')
    ) {
      problems.push(
        `-c alerts[${index}]: expected {"name": string, "eventNames": [string], "email"?: [string], "topicArn"?: string, "detail"?: object, "attributes"?: [string]}, got ${JSON.stringify(item)}`,
      );
      return;
    }
    alerts.push(alert as unknown as ContextAlert);
  });
  return alerts;
}
