import { type Duration, Token, Tokenization } from 'aws-cdk-lib';
import {
  type SettingName,
  settingDefault,
  settingProblems,
} from '../src/config/setting-schemas.js';
import type { CapillaryEventPollerProps, PollerAlert } from './capillary-event-poller-props.js';
import { checkNamedEntries } from './check-named-entries.js';
import { validateOnReplay } from './delivery/replay-guard.js';
import { validateWebhooks } from './delivery/webhook-validation.js';
import { validateScaleOutProps } from './scale-out.js';

/**
 * Lambda's limits and the construct's own rules. The ranges of settings the function reads are
 * not here: they come from the runtime's schema (src/config/setting-schemas.ts), see
 * `ENVIRONMENT_PROPS`.
 */
export const LIMITS = {
  maxTimeoutSeconds: 900,
  /**
   * A worker keeps one poll's bound back for polls in flight (the request timeout + 5 s, at most
   * half its time: `invocationDeadlines`): leave it time to work.
   */
  minTimeoutSeconds: 40,
  minMemoryMb: 128,
  maxMemoryMb: 10_240,
  maxAlertAttributes: 10,
  maxAlarmWindowMinutes: 1_440,
} as const;

const ALERT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const SERVICE_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

type Props = CapillaryEventPollerProps;

/** How one prop reaches the function: the environment variable it sets, and its text there. */
export interface EnvironmentProp<V> {
  readonly env: SettingName;
  /** The variable's text for a given value (tokens allowed); `undefined`: not known at synth. */
  readonly toEnv: (value: V) => string | undefined;
  /**
   * `default`: the variable is always set, to the schema's default when the prop is unset.
   * `given`: set only when the prop is given. `resource`: the construct sets the variable itself
   * from the resource it creates; a given value is only checked here.
   */
  readonly emit: 'default' | 'given' | 'resource';
}

/** A prop whose value goes to the function as the environment variable `env`. */
function setting<V>(
  env: SettingName,
  options: { toEnv?: (value: V) => string | undefined; emit?: EnvironmentProp<V>['emit'] } = {},
): EnvironmentProp<V> {
  return { env, toEnv: options.toEnv ?? envText, emit: options.emit ?? 'default' };
}

/**
 * `toEnv` of a Duration prop whose setting is in seconds, e.g. `setting('CLAIM_SECONDS', { toEnv: inSeconds })`.
 * @internal the props/settings agreement test compares limits in seconds with it.
 */
export function inSeconds(duration: Duration): string | undefined {
  return duration.isUnresolved() ? undefined : String(duration.toSeconds({ integral: false }));
}

function envText(value: unknown): string {
  return typeof value === 'number' ? Tokenization.stringifyNumber(value) : String(value);
}

/**
 * Every prop the function reads as a setting, one line each naming its environment variable. The
 * construct sets the function's environment from this table (`settingsEnvironment`), and each
 * given value is checked by running the runtime's own schema on the very text the function would
 * read: the construct accepts exactly what the function accepts. Adding a prop is one line here.
 */
export const ENVIRONMENT_PROPS: {
  readonly [K in keyof Props]?: EnvironmentProp<NonNullable<Props[K]>>;
} = {
  capillaryAuth: setting('CAPILLARY_AUTH'),
  capillaryEventsPath: setting('CAPILLARY_EVENTS_PATH', { emit: 'given' }),
  eventSource: setting('EVENT_SOURCE'),
  table: setting('TABLE_NAME', { toEnv: (table) => table.tableName, emit: 'resource' }),
  eventBus: setting('EVENT_BUS_NAME', { toEnv: (bus) => bus.eventBusName, emit: 'resource' }),
  requestsPerSecond: setting('CAPILLARY_RPS'),
  pollConcurrency: setting('POLL_CONCURRENCY'),
  seenCapacity: setting('SEEN_CAPACITY'),
  psiMode: setting('PSI_MODE'),
  logLevel: setting('LOG_LEVEL'),
  changeFeedBackstop: setting('CHANGE_FEED_BACKSTOP_SECONDS', { toEnv: inSeconds, emit: 'given' }),
  changeFeedHintShare: setting('CHANGE_FEED_HINT_MAX_SHARE', { emit: 'given' }),
};

type EnvironmentPropName = keyof typeof ENVIRONMENT_PROPS;

/** The environment variables the props set (`default` and `given` entries of `ENVIRONMENT_PROPS`). */
export function settingsEnvironment(props: Props): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, entry] of environmentEntries()) {
    if (entry.emit === 'resource') continue;
    const value = props[name];
    const text =
      value === undefined
        ? entry.emit === 'default'
          ? settingDefault(entry.env)
          : undefined
        : entry.toEnv(value);
    if (text !== undefined) environment[entry.env] = text;
  }
  return environment;
}

/**
 * The problems of one prop's value, as the function's settings check would report them, each as
 * `<label>: <the runtime's message>, got <ENV>="<text>"`. Empty when accepted or not known at synth.
 */
export function environmentPropProblems(
  name: EnvironmentPropName,
  value: unknown,
  label: string = name,
): string[] {
  const entry = ENVIRONMENT_PROPS[name] as EnvironmentProp<unknown> | undefined;
  if (entry === undefined || value === undefined) return [];
  const text = entry.toEnv(value);
  return text === undefined ? [] : settingTextProblems(entry.env, text, label);
}

/** The runtime's problems with `text` as the setting `env`, labelled for a prop or context key. */
export function settingTextProblems(env: SettingName, text: string, label: string): string[] {
  if (Token.isUnresolved(text)) return [];
  return settingProblems(env, text).map(
    (problem) => `${label}: ${problem}, got ${env}=${JSON.stringify(text)}`,
  );
}

function environmentEntries(): [EnvironmentPropName, EnvironmentProp<unknown>][] {
  return Object.entries(ENVIRONMENT_PROPS) as [EnvironmentPropName, EnvironmentProp<unknown>][];
}

const known = (value: unknown): boolean => !Token.isUnresolved(value);
const show = (value: unknown): string => JSON.stringify(value);
const knownDuration = (value: Duration | undefined): value is Duration =>
  value !== undefined && !value.isUnresolved();

/**
 * Every problem with the props, in a fixed order; empty when they are fine. Values that are
 * tokens (resolved only at deploy time) are not checked.
 */
export function validatePollerProps(
  props: CapillaryEventPollerProps,
  /** The stack's region: a bus of another region is refused (unchecked while either is a token). */
  stackRegion?: string,
): string[] {
  const problems: string[] = [];
  const problem = (message: string) => problems.push(message);

  // The function puts events with a client of its own region, and PutEvents reaches only a bus of
  // that region: a bus elsewhere is reached through a rule on a bus of this region.
  const busRegion = props.eventBus?.env.region;
  if (
    busRegion &&
    stackRegion &&
    known(busRegion) &&
    known(stackRegion) &&
    busRegion !== stackRegion
  ) {
    problem(
      `eventBus is in ${busRegion}, but the stack deploys to ${stackRegion}: PutEvents only reaches a bus in the function's region. Use a bus in ${stackRegion}, or forward to ${busRegion} with a rule`,
    );
  }

  const baseUrl = props.capillaryBaseUrl;
  if (typeof baseUrl !== 'string' || (known(baseUrl) && baseUrl.trim() === '')) {
    problem('capillaryBaseUrl is required (e.g. "https://eu.api.capillarytech.com")');
  } else if (known(baseUrl)) {
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      problem(`capillaryBaseUrl must be an https:// URL, got ${show(baseUrl)}`);
    }
    if (url !== undefined && url.protocol !== 'https:') {
      problem(`capillaryBaseUrl must use https://, got ${show(baseUrl)}`);
    } else if (url !== undefined && (url.search !== '' || url.hash !== '')) {
      problem(`capillaryBaseUrl must not have a query or fragment, got ${show(baseUrl)}`);
    }
  }

  for (const [name] of environmentEntries()) {
    problems.push(...environmentPropProblems(name, props[name]));
  }

  const interval = props.pollInterval;
  let intervalSeconds: number | undefined = 60;
  if (interval !== undefined) {
    intervalSeconds = knownDuration(interval) ? interval.toSeconds() : undefined;
    if (intervalSeconds !== undefined) {
      if (intervalSeconds < 60 || intervalSeconds % 60 !== 0 || intervalSeconds > 86_400) {
        problem(
          `pollInterval must be a whole number of minutes from 1 to 1440, got ${interval.toHumanString()}`,
        );
        intervalSeconds = undefined;
      }
    }
  }

  const timeout = props.timeout;
  if (knownDuration(timeout)) {
    const seconds = timeout.toSeconds();
    if (seconds < LIMITS.minTimeoutSeconds || seconds > LIMITS.maxTimeoutSeconds) {
      problem(`timeout must be from 40 seconds to 15 minutes, got ${timeout.toHumanString()}`);
    } else if (intervalSeconds !== undefined && seconds >= intervalSeconds) {
      problem(
        `timeout (${timeout.toHumanString()}) must be shorter than pollInterval (${interval?.toHumanString() ?? '1 minute'}) so a sweep ends before the next is due`,
      );
    }
  }

  wholeNumber(problems, 'memorySize', props.memorySize, LIMITS.minMemoryMb, LIMITS.maxMemoryMb);
  const service = props.serviceName;
  if (service !== undefined && known(service) && !SERVICE_NAME_PATTERN.test(service)) {
    problem(`serviceName must be 1 to 64 letters, digits, ".", "_" or "-", got ${show(service)}`);
  }

  const retention = props.archiveRetention;
  if (knownDuration(retention)) {
    const days = retention.toHours() / 24;
    if (!Number.isInteger(days) || days < 1) {
      problem(
        `archiveRetention must be a whole number of days, at least 1, got ${retention.toHumanString()}`,
      );
    }
  }

  emails(problems, 'opsEmails', props.opsEmails);

  const thresholds = props.alarmThresholds ?? {};
  wholeNumber(
    problems,
    'alarmThresholds.pollErrors',
    thresholds.pollErrors,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const noSweep = thresholds.noSweepFor;
  if (knownDuration(noSweep)) {
    const seconds = noSweep.toSeconds();
    const floor = Math.max(2 * (intervalSeconds ?? 60), 120);
    if (seconds % 60 !== 0 || seconds < floor || seconds > LIMITS.maxAlarmWindowMinutes * 60) {
      problem(
        `alarmThresholds.noSweepFor must be whole minutes from twice the poll interval (${floor / 60} minutes) to 1440 minutes, got ${noSweep.toHumanString()}`,
      );
    }
  }
  const lag = thresholds.lag;
  if (knownDuration(lag) && lag.toSeconds() < 60) {
    problem(`alarmThresholds.lag must be at least 1 minute, got ${lag.toHumanString()}`);
  }
  const percent = thresholds.durationPercentOfTimeout;
  if (percent !== undefined && known(percent) && !(percent > 0 && percent <= 100)) {
    problem(
      `alarmThresholds.durationPercentOfTimeout must be more than 0 and at most 100, got ${show(percent)}`,
    );
  }

  problems.push(...validateScaleOutProps(props));
  validateAlerts(problems, props.alerts ?? []);
  problems.push(
    ...validateOnReplay('alerts', props.alerts ?? []),
    ...validateWebhooks(props.webhooks ?? []),
  );
  return problems;
}

function validateAlerts(problems: string[], alerts: readonly PollerAlert[]): void {
  const list = { list: 'alerts', kind: 'alert', pattern: ALERT_NAME_PATTERN, entries: alerts };
  checkNamedEntries(problems, list, (alert, label) => {
    const eventNames = alert.eventNames ?? [];
    if (eventNames.length === 0) {
      problems.push(`${label}.eventNames must list at least one event name`);
    }
    eventNames.forEach((eventName, nameIndex) => {
      if (typeof eventName !== 'string' || eventName.trim() === '') {
        problems.push(`${label}.eventNames[${nameIndex}] must be a non-empty string`);
      } else if (eventNames.indexOf(eventName) !== nameIndex) {
        problems.push(`${label}.eventNames lists ${show(eventName)} twice`);
      }
    });
    emails(problems, `${label}.email`, alert.email);
    if ((alert.email ?? []).length === 0 && alert.topic === undefined) {
      problems.push(`${label} needs an email list or a topic: nobody would be told`);
    }
    const attributes = alert.attributes ?? [];
    if (attributes.length > LIMITS.maxAlertAttributes) {
      problems.push(
        `${label}.attributes may name at most ${LIMITS.maxAlertAttributes} attributes, got ${attributes.length}`,
      );
    }
    for (const attribute of attributes) {
      if (typeof attribute !== 'string' || !ATTRIBUTE_NAME_PATTERN.test(attribute)) {
        problems.push(
          `${label}.attributes: ${show(attribute)} is not a plain attribute name (letters, digits, "_")`,
        );
      }
    }
    const detail = alert.detail;
    if (
      detail !== undefined &&
      (typeof detail !== 'object' || detail === null || Array.isArray(detail))
    ) {
      problems.push(`${label}.detail must be an object (an EventBridge detail pattern)`);
    }
  });
}

function wholeNumber(
  problems: string[],
  name: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined || !known(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    problems.push(`${name} must be a whole number ${range}, got ${show(value)}`);
  }
}

function emails(problems: string[], name: string, list: readonly string[] | undefined): void {
  for (const email of list ?? []) {
    if (known(email) && (typeof email !== 'string' || !EMAIL_PATTERN.test(email))) {
      problems.push(`${name}: ${show(email)} is not an email address`);
    }
  }
}
