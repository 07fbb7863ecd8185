// The scale-out's knobs: their defaults and checks, shared by the construct and its validation.
import { Duration, Token } from 'aws-cdk-lib';
import { type SettingName, settingProblems } from '../src/config/setting-schemas.js';
import type { CapillaryEventPollerProps } from './capillary-event-poller-props.js';

/** Receives of one work message before it is moved to the work dead-letter queue. */
export const WORK_MAX_RECEIVES = 3;
export const DEFAULT_WORKERS = 4;
const DEFAULT_MAX_POLL_INTERVAL = Duration.hours(1);
export const DEFAULT_POLL_INTERVAL = Duration.minutes(1);

export const SCALE_OUT_LIMITS = {
  /** What an SQS event source's maximum concurrency allows. */
  minWorkers: 2,
  maxWorkers: 1_000,
  /** `CLAIM_SECONDS`' ceiling (src/config/setting-schemas.ts): a Lambda's longest run. */
  maxClaimSeconds: 900,
} as const;

/** Room between the end of a tick's work and the next tick. */
const TIMEOUT_HEADROOM_SECONDS = 10;
/** The default claim outlasts the worker timeout by this: a message may wait in the queue first. */
const CLAIM_HEADROOM_SECONDS = 60;
const MIN_DEFAULT_CLAIM_SECONDS = 120;

/** The worker timeout when none is given: the interval less 10 s, below the longest claim. */
export function defaultWorkerTimeout(pollInterval: Duration): Duration {
  return Duration.seconds(
    Math.min(
      pollInterval.toSeconds() - TIMEOUT_HEADROOM_SECONDS,
      SCALE_OUT_LIMITS.maxClaimSeconds - CLAIM_HEADROOM_SECONDS,
    ),
  );
}

/** The claim when none is given: the worker timeout plus a minute, 2 to 15 minutes. */
export function defaultClaimDuration(workerTimeout: Duration): Duration {
  return Duration.seconds(
    Math.min(
      SCALE_OUT_LIMITS.maxClaimSeconds,
      Math.max(MIN_DEFAULT_CLAIM_SECONDS, workerTimeout.toSeconds() + CLAIM_HEADROOM_SECONDS),
    ),
  );
}

/** The longest interval when none is given: an hour, or the shortest interval if longer. */
export function defaultMaxPollInterval(pollInterval: Duration): Duration {
  return pollInterval.toSeconds() > DEFAULT_MAX_POLL_INTERVAL.toSeconds()
    ? pollInterval
    : DEFAULT_MAX_POLL_INTERVAL;
}

const known = (value: unknown): boolean => !Token.isUnresolved(value);
const knownDuration = (value: Duration | undefined): value is Duration =>
  value !== undefined && !value.isUnresolved();

/**
 * The runtime's problems with a prop's value as the setting the function reads, labelled like
 * the other settings' (`<prop>: <the runtime's message>, got <ENV>="<text>"`).
 */
function settingValueProblems(prop: string, env: SettingName, text: string | undefined): string[] {
  if (text === undefined || Token.isUnresolved(text)) return [];
  return settingProblems(env, text).map(
    (problem) => `${prop}: ${problem}, got ${env}=${JSON.stringify(text)}`,
  );
}

const seconds = (duration: Duration | undefined): string | undefined =>
  duration === undefined || duration.isUnresolved()
    ? undefined
    : String(duration.toSeconds({ integral: false }));

/**
 * The problems with `workers`, `maxPollInterval`, `claimDuration`, `sweepMaxPolls` and
 * `keepWatchlistIndex`: each value by the runtime's own schema, then the rules between props the
 * function cannot see (its own timeout).
 */
export function validateScaleOutProps(props: CapillaryEventPollerProps): string[] {
  const problems: string[] = [];
  const workers = props.workers;
  if (workers !== undefined && known(workers)) {
    const { minWorkers, maxWorkers } = SCALE_OUT_LIMITS;
    if (!Number.isInteger(workers) || workers < minWorkers || workers > maxWorkers) {
      problems.push(
        `workers must be a whole number from ${minWorkers} to ${maxWorkers} (an SQS event source's maximum concurrency), got ${JSON.stringify(workers)}`,
      );
    }
  }
  const claim = props.claimDuration;
  const maxInterval = props.maxPollInterval;
  const claimProblems = settingValueProblems('claimDuration', 'CLAIM_SECONDS', seconds(claim));
  const maxIntervalProblems = settingValueProblems(
    'maxPollInterval',
    'MAX_POLL_INTERVAL_SECONDS',
    seconds(maxInterval),
  );
  problems.push(...maxIntervalProblems, ...claimProblems);
  if (props.sweepMaxPolls !== undefined && known(props.sweepMaxPolls)) {
    problems.push(
      ...settingValueProblems('sweepMaxPolls', 'SWEEP_MAX_POLLS', String(props.sweepMaxPolls)),
    );
  }

  const interval = props.pollInterval ?? DEFAULT_POLL_INTERVAL;
  // An interval out of range is reported by props-validation.ts; nothing is derived from it here.
  const intervalKnown = knownDuration(interval) && interval.toSeconds() > TIMEOUT_HEADROOM_SECONDS;
  if (maxIntervalProblems.length === 0 && knownDuration(maxInterval) && intervalKnown) {
    if (maxInterval.toSeconds() < interval.toSeconds()) {
      problems.push(
        `maxPollInterval (${maxInterval.toHumanString()}) must be at least pollInterval (${interval.toHumanString()}); equal turns the activity tiers off`,
      );
    }
  }
  const timeout = props.timeout ?? (intervalKnown ? defaultWorkerTimeout(interval) : undefined);
  // A timeout Lambda refuses is reported on its own (props-validation.ts).
  if (
    claimProblems.length === 0 &&
    knownDuration(timeout) &&
    timeout.toSeconds() <= SCALE_OUT_LIMITS.maxClaimSeconds
  ) {
    const effectiveClaim = claim ?? defaultClaimDuration(timeout);
    if (knownDuration(effectiveClaim) && effectiveClaim.toSeconds() <= timeout.toSeconds()) {
      problems.push(
        claim === undefined
          ? `timeout (${timeout.toHumanString()}) must be shorter than the longest claimDuration (15 minutes): a worker must be gone before the claims of its message expire`
          : `claimDuration (${claim.toHumanString()}) must be longer than the worker timeout (${timeout.toHumanString()}): a worker must be gone before the claims of its message expire`,
      );
    }
  }

  if (props.keepWatchlistIndex === true && props.table !== undefined) {
    problems.push(
      'keepWatchlistIndex applies to the table this construct creates; an existing table keeps the indexes you give it',
    );
  }
  return problems;
}
