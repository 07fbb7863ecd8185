import { z } from 'zod';
import { ConfigError, ConfigErrors } from '../domain/errors.js';
import { PsiModeSchema } from '../domain/event-detail.js';
import type { SchedulePolicy } from '../domain/schedule.js';

/** The API's default request; `{customerId}` is URL-encoded, `scope=child` is appended when watched so. */
export const DEFAULT_EVENTS_PATH = '/v2/events/event_data/?userId={customerId}';
export const DEFAULT_EVENT_SOURCE = 'capillary.events';
export const DEFAULT_TABLE_NAME = 'capillary-event-poller';

/** The staleness bound when none is set: an idle customer is polled at least hourly. */
export const DEFAULT_MAX_POLL_INTERVAL_SECONDS = 3_600;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** HTTPS everywhere; plain HTTP only to this machine (sandbox, tests). */
export const ServiceUrlSchema = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not a URL: ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return url;
  }
  ctx.addIssue({
    code: 'custom',
    message:
      url.protocol === 'http:'
        ? `plain http:// is refused for ${url.hostname}: use https:// (http is allowed for loopback hosts only)`
        : `unsupported protocol ${url.protocol} (use https://)`,
  });
  return z.NEVER;
});

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const positive = (max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'expected a number')
    .transform(Number)
    .pipe(z.number().gt(0).max(max));

const text = z.string().min(1);

/** Every setting, read from environment variables (all optional here; rules below). */
const EnvSchema = z.object({
  CAPILLARY_BASE_URL: ServiceUrlSchema.optional(),
  CAPILLARY_AUTH: z.enum(['basic', 'oauth']).default('basic'),
  CAPILLARY_USERNAME: text.optional(),
  CAPILLARY_PASSWORD: text.optional(),
  CAPILLARY_CLIENT_KEY: text.optional(),
  CAPILLARY_CLIENT_SECRET: text.optional(),
  CAPILLARY_SECRET_ARN: z.string().startsWith('arn:', 'expected a Secrets Manager ARN').optional(),
  CAPILLARY_EVENTS_PATH: z
    .string()
    .startsWith('/', 'must start with /')
    .refine((value) => value.includes('{customerId}'), 'must contain {customerId}')
    .default(DEFAULT_EVENTS_PATH),
  CAPILLARY_TIMEOUT_MS: int(100, 120_000).default(10_000),
  CAPILLARY_MAX_ATTEMPTS: int(1, 10).default(4),
  CAPILLARY_RPS: positive(10_000).default(10),
  POLL_CONCURRENCY: int(1, 256).default(8),
  POLL_INTERVAL_SECONDS: positive(86_400).optional(),
  // The staleness bound: an idle customer's interval doubles up to this. Equal to
  // POLL_INTERVAL_SECONDS turns activity tiers off.
  MAX_POLL_INTERVAL_SECONDS: positive(604_800).optional(),
  // A sweep stops after this many polls even when more customers are due (unset: time and quota).
  SWEEP_MAX_POLLS: int(1, 10_000_000).optional(),
  // How long a poller holds a customer: no other poller polls it meanwhile, and the holder
  // publishes nothing after it. Bounds one poll's time.
  CLAIM_SECONDS: int(10, 900).default(120),
  // 4,000 ids of up to 71 bytes (sha256 keys) keep an item under DynamoDB's 400 KB.
  SEEN_CAPACITY: int(10, 4_000).default(200),
  PSI_MODE: PsiModeSchema.default('mask'),
  TABLE_NAME: text.optional(),
  DYNAMODB_ENDPOINT: ServiceUrlSchema.optional(),
  EVENT_BUS_NAME: text.optional(),
  EVENTBRIDGE_ENDPOINT: ServiceUrlSchema.optional(),
  EVENT_SOURCE: z
    .string()
    .regex(/^[A-Za-z0-9._\-/]{1,256}$/, 'letters, digits and . _ - / only, at most 256')
    .refine((value) => !value.startsWith('aws.'), 'must not start with "aws." (reserved by AWS)')
    .default(DEFAULT_EVENT_SOURCE),
  DLQ_URL: ServiceUrlSchema.optional(),
  // SQS allows up to 1 MiB when the queue says so (the CDK queue does): then even an event too
  // large for EventBridge (256 KiB) is parked whole.
  DLQ_MAX_MESSAGE_BYTES: int(1024, 1_048_576).default(262_144),
  SQS_ENDPOINT: ServiceUrlSchema.optional(),
  AWS_REGION: text.default('us-east-1'),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
});

export type CapillaryCredentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'oauth'; clientKey: string; clientSecret: string };

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
    concurrency: number;
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
  };
  region: string;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

export interface LoadOptions {
  /** The CLI may fall back to embedded services; the Lambda must be fully configured. */
  allowEmbedded: boolean;
}

/** Reads and checks every setting at once, so one run reports every problem. Throws `ConfigErrors`. */
export function loadSettings(env: NodeJS.ProcessEnv, options: LoadOptions): Settings {
  const present = Object.fromEntries(
    Object.entries(env).filter(
      ([name, value]) => value !== undefined && value !== '' && name in EnvSchema.shape,
    ),
  );
  // Each setting is parsed on its own so one run reports every problem, and the checks across
  // settings below still see what was given even when its value was wrong.
  const problems: ConfigError[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(EnvSchema.shape)) {
    const result = schema.safeParse(present[name]);
    if (result.success) values[name] = result.data;
    else problems.push(...result.error.issues.map((issue) => new ConfigError(name, issue.message)));
  }
  const e = values as z.infer<typeof EnvSchema>;
  const given = (name: keyof typeof e) => present[name] !== undefined;
  const need = (name: keyof typeof e, why: string) => {
    if (!given(name)) problems.push(new ConfigError(name, `is required ${why}`));
  };

  let credentials: CapillaryCredentials | undefined;
  if (!given('CAPILLARY_BASE_URL')) {
    if (!options.allowEmbedded) need('CAPILLARY_BASE_URL', 'here (no sandbox in Lambda)');
  } else if (!given('CAPILLARY_SECRET_ARN')) {
    if (e.CAPILLARY_AUTH === 'basic') {
      need('CAPILLARY_USERNAME', 'with CAPILLARY_AUTH=basic');
      need('CAPILLARY_PASSWORD', 'with CAPILLARY_AUTH=basic');
      if (e.CAPILLARY_USERNAME && e.CAPILLARY_PASSWORD) {
        credentials = {
          kind: 'basic',
          username: e.CAPILLARY_USERNAME,
          password: e.CAPILLARY_PASSWORD,
        };
      }
    } else {
      need('CAPILLARY_CLIENT_KEY', 'with CAPILLARY_AUTH=oauth');
      need('CAPILLARY_CLIENT_SECRET', 'with CAPILLARY_AUTH=oauth');
      if (e.CAPILLARY_CLIENT_KEY && e.CAPILLARY_CLIENT_SECRET) {
        credentials = {
          kind: 'oauth',
          clientKey: e.CAPILLARY_CLIENT_KEY,
          clientSecret: e.CAPILLARY_CLIENT_SECRET,
        };
      }
    }
  }

  const embeddedTable = !given('TABLE_NAME') && !given('DYNAMODB_ENDPOINT');
  const stdoutSink = !given('EVENT_BUS_NAME') && !given('EVENTBRIDGE_ENDPOINT');
  // Where nothing is embedded, a default name would only fail later, on the wrong table or bus.
  if (!options.allowEmbedded) {
    need('TABLE_NAME', 'here');
    need('EVENT_BUS_NAME', 'here');
  }
  if (
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
      concurrency: e.POLL_CONCURRENCY,
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
    },
    region: e.AWS_REGION,
    logLevel: e.LOG_LEVEL,
  };
}

/** The schedule's intervals, given the caller's default shortest interval (CLI sandbox: 5 s). */
export function schedulePolicy(settings: Settings, defaultIntervalSeconds: number): SchedulePolicy {
  const min = settings.poll.intervalSeconds ?? defaultIntervalSeconds;
  const max = Math.max(min, settings.poll.maxIntervalSeconds ?? DEFAULT_MAX_POLL_INTERVAL_SECONDS);
  return { minIntervalMs: Math.round(min * 1000), maxIntervalMs: Math.round(max * 1000) };
}
