import type * as z from 'zod';
import type { CapillaryCredentials } from '../adapters/capillary/capillary-auth.js';
import { ConfigError, ConfigErrors, IncompleteConfigError } from '../domain/errors.js';
import type { PsiModeSchema } from '../domain/publish/event-detail.js';
import type { SchedulePolicy } from '../domain/schedule/schedule.js';
import { type ChangeFeedConfig, changeFeedConfig } from './change-feed-settings.js';
import {
  DEFAULT_MAX_POLL_INTERVAL_SECONDS,
  DEFAULT_TABLE_NAME,
  eventBusArnRegion,
  SETTING_SCHEMAS,
  type SettingName,
  type SettingsEnv,
} from './setting-schemas.js';

export { ServiceUrlSchema } from './setting-schemas.js';

/** Customers in flight for callers that size nothing themselves (unset POLL_CONCURRENCY). */
const DEFAULT_POLL_CONCURRENCY = 8;

export interface Settings {
  capillary: {
    /** `undefined`: the built-in sandbox (CLI only). */
    baseUrl: URL | undefined;
    authKind: 'basic' | 'oauth';
    /** `undefined` when they come from `secretArn` at run time, or for the sandbox. */
    credentials: CapillaryCredentials | undefined;
    secretArn: string | undefined;
    eventsPath: string;
    timeoutMs: number;
    maxAttempts: number;
    requestsPerSecond: number;
  };
  poll: {
    /** A fixed number of customers in flight, for callers that do not size it themselves. */
    concurrency: number;
    /** `POLL_CONCURRENCY` when set: the upper bound of adaptive in-flight sizing. */
    maxConcurrency: number | undefined;
    seenCapacity: number;
    /** `undefined`: the caller's default (60 s; 5 s on the sandbox). The shortest interval. */
    intervalSeconds: number | undefined;
    /** `undefined`: `DEFAULT_MAX_POLL_INTERVAL_SECONDS`, or the shortest interval if longer. */
    maxIntervalSeconds: number | undefined;
    /** `undefined`: no cap on polls per sweep. */
    sweepMaxPolls: number | undefined;
    claimSeconds: number;
    psiMode: z.infer<typeof PsiModeSchema>;
  };
  table: {
    name: string;
    /** `embedded`: dynalite in-process, persisted under `.data/` (CLI only). */
    endpoint: URL | 'embedded' | undefined;
  };
  events: {
    /** `stdout`: print each entry as a JSON line instead of calling PutEvents (CLI only). */
    sink: 'eventbridge' | 'stdout';
    busName: string;
    source: string;
    endpoint: URL | undefined;
    deadLetterQueueUrl: URL | undefined;
    /** The queue's MaximumMessageSize. */
    deadLetterMaxMessageBytes: number;
    sqsEndpoint: URL | undefined;
    /** Each webhook's queue and dead-letter queue (`dlq --webhook`), by webhook name. */
    webhookQueues: Record<string, { queueUrl: URL; dlqUrl: URL }> | undefined;
  };
  /** The change feed (`CHANGE_FEED*`): on unless `CHANGE_FEED=off`. */
  changeFeed: ChangeFeedConfig;
  /** `IDENTIFIER_KEY_SECRET_ARN`: the identifier hash key's secret; unset: `.data/` (CLI only). */
  identifierKeySecretArn: string | undefined;
  region: string;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

/** The two settings that hold each kind of credentials when no secret ARN is given. */
const CREDENTIAL_SETTINGS = {
  basic: ['CAPILLARY_USERNAME', 'CAPILLARY_PASSWORD'],
  oauth: ['CAPILLARY_CLIENT_KEY', 'CAPILLARY_CLIENT_SECRET'],
} as const satisfies Record<CapillaryCredentials['kind'], readonly [SettingName, SettingName]>;

function credentialsOf(
  kind: CapillaryCredentials['kind'],
  first: string | undefined,
  second: string | undefined,
): CapillaryCredentials | undefined {
  if (!first || !second) return undefined;
  return kind === 'basic'
    ? { kind, username: first, password: second }
    : { kind, clientKey: first, clientSecret: second };
}

/** What a CLI command works with: each is either real (configured) or an embedded stand-in. */
export type Service = 'capillary' | 'table' | 'bus' | 'deadLetterQueue';

/**
 * Per service: the settings that make it real, and the one a command that uses it then needs. An
 * endpoint alone is not enough: it would fall back to a default table or bus name, a guess.
 */
const REAL_SERVICES = {
  capillary: {
    given: ['CAPILLARY_BASE_URL'],
    needs: 'CAPILLARY_BASE_URL',
    without: 'would poll the built-in sandbox, writing its customer and events into real state',
  },
  table: {
    given: ['TABLE_NAME', 'DYNAMODB_ENDPOINT'],
    needs: 'TABLE_NAME',
    without: 'would keep the watchlist and cursors in the embedded table under .data/',
  },
  bus: {
    given: ['EVENT_BUS_NAME', 'EVENTBRIDGE_ENDPOINT'],
    needs: 'EVENT_BUS_NAME',
    without: 'would print events to stdout instead of publishing them, and still move cursors',
  },
  deadLetterQueue: {
    given: ['DLQ_URL'],
    needs: 'DLQ_URL',
    without: 'would have no dead-letter queue to read or redrive',
  },
} as const satisfies Record<
  Service,
  { given: readonly SettingName[]; needs: SettingName; without: string }
>;

export type LoadOptions =
  /** The Lambda: everything real, nothing embedded. */
  | { allowEmbedded: false }
  | {
      /** The CLI: all embedded (nothing real set), or every service `uses` names is real. */
      allowEmbedded: true;
      uses: readonly Service[];
      /** The command, for the refusal's message (`poll`). */
      command?: string;
    };

/** Reads and checks every setting at once, so one run reports every problem. Throws `ConfigErrors`. */
export function loadSettings(env: NodeJS.ProcessEnv, options: LoadOptions): Settings {
  const present = Object.fromEntries(
    Object.entries(env).filter(
      ([name, value]) => value !== undefined && value !== '' && name in SETTING_SCHEMAS,
    ),
  );
  // Each setting is parsed on its own so one run reports every problem, and the checks across
  // settings below still see what was given even when its value was wrong.
  const problems: ConfigError[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(SETTING_SCHEMAS)) {
    const result = schema.safeParse(present[name]);
    if (result.success) values[name] = result.data;
    else problems.push(...result.error.issues.map((issue) => new ConfigError(name, issue.message)));
  }
  const e = values as SettingsEnv;
  const given = (name: SettingName) => present[name] !== undefined;
  const valid = (name: SettingName) => name in values;
  const need = (name: SettingName, why: string) => {
    if (!given(name)) problems.push(new ConfigError(name, `is required ${why}`));
  };

  let credentials: CapillaryCredentials | undefined;
  if (!given('CAPILLARY_BASE_URL')) {
    if (!options.allowEmbedded) need('CAPILLARY_BASE_URL', 'here (no sandbox in Lambda)');
  } else if (!given('CAPILLARY_SECRET_ARN')) {
    // An invalid CAPILLARY_AUTH (reported already) is checked as oauth, as any other value.
    const kind = e.CAPILLARY_AUTH === 'basic' ? 'basic' : 'oauth';
    const [first, second] = CREDENTIAL_SETTINGS[kind];
    need(first, `with CAPILLARY_AUTH=${kind}`);
    need(second, `with CAPILLARY_AUTH=${kind}`);
    credentials = credentialsOf(kind, e[first], e[second]);
  }

  const embeddedTable = !given('TABLE_NAME') && !given('DYNAMODB_ENDPOINT');
  const stdoutSink = !given('EVENT_BUS_NAME') && !given('EVENTBRIDGE_ENDPOINT');
  // Where nothing is embedded, a default name would only fail later, on the wrong table or bus.
  if (!options.allowEmbedded) {
    need('TABLE_NAME', 'here');
    need('EVENT_BUS_NAME', 'here');
  }
  problems.push(...crossSettingProblems(e, valid));
  if (options.allowEmbedded) {
    const mixed = mixedServicesProblem(given, options.uses, options.command);
    if (mixed) problems.push(mixed);
  }
  if (problems.length > 0) throw new ConfigErrors(problems);

  return {
    capillary: {
      baseUrl: e.CAPILLARY_BASE_URL,
      authKind: e.CAPILLARY_AUTH,
      credentials,
      secretArn: e.CAPILLARY_SECRET_ARN,
      eventsPath: e.CAPILLARY_EVENTS_PATH,
      timeoutMs: e.CAPILLARY_TIMEOUT_MS,
      maxAttempts: e.CAPILLARY_MAX_ATTEMPTS,
      requestsPerSecond: e.CAPILLARY_RPS,
    },
    poll: {
      concurrency: e.POLL_CONCURRENCY ?? DEFAULT_POLL_CONCURRENCY,
      maxConcurrency: e.POLL_CONCURRENCY,
      seenCapacity: e.SEEN_CAPACITY,
      intervalSeconds: e.POLL_INTERVAL_SECONDS,
      maxIntervalSeconds: e.MAX_POLL_INTERVAL_SECONDS,
      sweepMaxPolls: e.SWEEP_MAX_POLLS,
      claimSeconds: e.CLAIM_SECONDS,
      psiMode: e.PSI_MODE,
    },
    table: {
      name: e.TABLE_NAME ?? DEFAULT_TABLE_NAME,
      endpoint: embeddedTable ? 'embedded' : e.DYNAMODB_ENDPOINT,
    },
    events: {
      sink: stdoutSink ? 'stdout' : 'eventbridge',
      busName: e.EVENT_BUS_NAME ?? 'default',
      source: e.EVENT_SOURCE,
      endpoint: e.EVENTBRIDGE_ENDPOINT,
      deadLetterQueueUrl: e.DLQ_URL,
      deadLetterMaxMessageBytes: e.DLQ_MAX_MESSAGE_BYTES,
      sqsEndpoint: e.SQS_ENDPOINT,
      webhookQueues: e.WEBHOOK_QUEUES,
    },
    changeFeed: changeFeedConfig(e),
    identifierKeySecretArn: e.IDENTIFIER_KEY_SECRET_ARN,
    region: e.AWS_REGION,
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * All or nothing: once any real service is configured, each service the command uses must be real
 * too. A real table with the stdout printer advances cursors past events no bus ever got; a real
 * table with the sandbox fills it with sample events; a real Capillary with the embedded table
 * keeps its cursors where no other poller sees them. Every missing setting is named at once.
 */
function mixedServicesProblem(
  given: (name: SettingName) => boolean,
  uses: readonly Service[],
  command: string | undefined,
): IncompleteConfigError | undefined {
  const configured = Object.values(REAL_SERVICES).flatMap((service) => service.given.filter(given));
  if (configured.length === 0) return undefined;
  const missing = uses
    .map((name) => REAL_SERVICES[name])
    .filter((service) => !given(service.needs));
  if (missing.length === 0) return undefined;
  return new IncompleteConfigError(
    missing.map((service) => service.needs),
    configured,
    `${command ? `\`${command}\`` : 'this command'} ${missing.map((service) => service.without).join('; it ')}. Set ${missing.map((service) => service.needs).join(' and ')}, or unset ${configured.join(', ')} to run on the embedded defaults`,
  );
}

/** The schedule's intervals, given the caller's default shortest interval (CLI sandbox: 5 s). */
export function schedulePolicy(settings: Settings, defaultIntervalSeconds: number): SchedulePolicy {
  const min = settings.poll.intervalSeconds ?? defaultIntervalSeconds;
  const max = Math.max(min, settings.poll.maxIntervalSeconds ?? DEFAULT_MAX_POLL_INTERVAL_SECONDS);
  return { minIntervalMs: Math.round(min * 1000), maxIntervalMs: Math.round(max * 1000) };
}

/**
 * Rules across settings, checked only where each setting involved is itself valid (its own
 * problem is already reported).
 */
function crossSettingProblems(
  e: SettingsEnv,
  valid: (name: SettingName) => boolean,
): ConfigError[] {
  const problems: ConfigError[] = [];
  if (
    valid('MAX_POLL_INTERVAL_SECONDS') &&
    valid('POLL_INTERVAL_SECONDS') &&
    e.MAX_POLL_INTERVAL_SECONDS !== undefined &&
    e.POLL_INTERVAL_SECONDS !== undefined &&
    e.MAX_POLL_INTERVAL_SECONDS < e.POLL_INTERVAL_SECONDS
  ) {
    problems.push(
      new ConfigError(
        'MAX_POLL_INTERVAL_SECONDS',
        `must be at least POLL_INTERVAL_SECONDS (${e.POLL_INTERVAL_SECONDS}); equal turns activity tiers off`,
      ),
    );
  }
  if (
    valid('CLAIM_SECONDS') &&
    valid('CAPILLARY_MAX_ATTEMPTS') &&
    valid('CAPILLARY_TIMEOUT_MS') &&
    valid('CAPILLARY_RPS')
  ) {
    // One request, retried to the end, each attempt waiting its turn in the rate limit and then
    // running to its deadline: the least time a poll can need. Its claim must outlast that.
    const attemptSeconds = e.CAPILLARY_TIMEOUT_MS / 1000 + 1 / e.CAPILLARY_RPS;
    const pollSeconds = e.CAPILLARY_MAX_ATTEMPTS * attemptSeconds;
    if (e.CLAIM_SECONDS <= pollSeconds) {
      problems.push(
        new ConfigError(
          'CLAIM_SECONDS',
          `must be more than CAPILLARY_MAX_ATTEMPTS × (CAPILLARY_TIMEOUT_MS + 1 / CAPILLARY_RPS) = ${e.CAPILLARY_MAX_ATTEMPTS} × ${round(attemptSeconds)} s = ${round(pollSeconds)} s: a poll whose request is retried to the end would outlive its claim and publish nothing`,
        ),
      );
    }
  }
  const busRegion =
    e.EVENT_BUS_NAME === undefined ? undefined : eventBusArnRegion(e.EVENT_BUS_NAME);
  if (valid('EVENT_BUS_NAME') && valid('AWS_REGION') && busRegion && busRegion !== e.AWS_REGION) {
    // PutEvents reaches a bus in the client's own region only; another region's bus is reached
    // through a rule on a bus of this region.
    problems.push(
      new ConfigError(
        'EVENT_BUS_NAME',
        `is a bus in ${busRegion}, but AWS_REGION is ${e.AWS_REGION}: PutEvents only reaches a bus in the client's region. Set AWS_REGION=${busRegion}, or use a bus in ${e.AWS_REGION}`,
      ),
    );
  }
  return problems;
}

const round = (seconds: number) => Math.round(seconds * 100) / 100;
