import { type Duration, Token } from 'aws-cdk-lib';
import type { CapillaryEventPollerProps, PollerAlert } from './capillary-event-poller.js';

/** Lambda's limits and the ranges the runtime's settings accept (src/config/settings.ts). */
export const LIMITS = {
  maxTimeoutSeconds: 900,
  /** The handler keeps 30 s back for polls in flight (SAFETY_MARGIN_MS): leave it time to work. */
  minTimeoutSeconds: 40,
  minMemoryMb: 128,
  maxMemoryMb: 10_240,
  maxRequestsPerSecond: 10_000,
  maxPollConcurrency: 256,
  minSeenCapacity: 10,
  maxSeenCapacity: 5_000,
  maxAlertAttributes: 10,
  maxAlarmWindowMinutes: 1_440,
} as const;

export const EVENT_SOURCE_PATTERN = /^[A-Za-z0-9._\-/]{1,256}$/;
export const ALERT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
export const ATTRIBUTE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

const PSI_MODES = ['mask', 'drop', 'pass'];
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'];
const AUTH_KINDS = ['basic', 'oauth'];

const known = (value: unknown): boolean => !Token.isUnresolved(value);
const show = (value: unknown): string => JSON.stringify(value);
const knownDuration = (value: Duration | undefined): value is Duration =>
  value !== undefined && !value.isUnresolved();

/**
 * Every problem with the props, in a fixed order; empty when they are fine. Values that are
 * tokens (resolved only at deploy time) are not checked.
 */
export function validatePollerProps(props: CapillaryEventPollerProps): string[] {
  const problems: string[] = [];
  const problem = (message: string) => problems.push(message);

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

  if (props.capillaryAuth !== undefined && !AUTH_KINDS.includes(props.capillaryAuth)) {
    problem(`capillaryAuth must be "basic" or "oauth", got ${show(props.capillaryAuth)}`);
  }

  const path = props.capillaryEventsPath;
  if (path !== undefined && known(path)) {
    if (!path.startsWith('/') || !path.includes('{customerId}')) {
      problem(
        `capillaryEventsPath must start with "/" and contain "{customerId}", got ${show(path)}`,
      );
    }
  }

  const source = props.eventSource;
  if (source !== undefined && known(source)) {
    if (!EVENT_SOURCE_PATTERN.test(source)) {
      problem(
        `eventSource must be 1 to 256 letters, digits, ".", "_", "-" or "/", got ${show(source)}`,
      );
    } else if (source.startsWith('aws.')) {
      problem(`eventSource must not start with "aws." (reserved by AWS), got ${show(source)}`);
    }
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
  const rps = props.requestsPerSecond;
  if (rps !== undefined && known(rps) && !(rps > 0 && rps <= LIMITS.maxRequestsPerSecond)) {
    problem(`requestsPerSecond must be more than 0 and at most 10000, got ${show(rps)}`);
  }
  wholeNumber(problems, 'pollConcurrency', props.pollConcurrency, 1, LIMITS.maxPollConcurrency);
  wholeNumber(
    problems,
    'seenCapacity',
    props.seenCapacity,
    LIMITS.minSeenCapacity,
    LIMITS.maxSeenCapacity,
  );
  if (props.psiMode !== undefined && !PSI_MODES.includes(props.psiMode)) {
    problem(`psiMode must be one of "mask", "drop", "pass", got ${show(props.psiMode)}`);
  }
  if (props.logLevel !== undefined && !LOG_LEVELS.includes(props.logLevel)) {
    problem(
      `logLevel must be one of "DEBUG", "INFO", "WARN", "ERROR", "SILENT", got ${show(props.logLevel)}`,
    );
  }
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

  validateAlerts(problems, props.alerts ?? []);
  return problems;
}

function validateAlerts(problems: string[], alerts: readonly PollerAlert[]): void {
  const names = new Set<string>();
  alerts.forEach((alert, index) => {
    const at = `alerts[${index}]`;
    if (typeof alert.name !== 'string' || !ALERT_NAME_PATTERN.test(alert.name)) {
      problems.push(
        `${at}.name must be 1 to 64 letters, digits or "-", starting with a letter or digit, got ${show(alert.name)}`,
      );
    } else if (names.has(alert.name)) {
      problems.push(`${at}.name ${show(alert.name)} is used by another alert`);
    } else {
      names.add(alert.name);
    }
    const label = `${at} (${show(alert.name)})`;
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
      problems.push(`${label}.attributes may name at most 10 attributes, got ${attributes.length}`);
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
