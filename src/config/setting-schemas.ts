import * as z from 'zod';
import {
  DEFAULT_EVENT_LOG_PATH,
  DEFAULT_EVENTS_PATH,
  EVENT_LOG_DATE_FORMATS,
  isLoopbackHost,
  LOOKUP_IDENTIFIER_NAMES,
} from '../adapters/capillary/capillary-requests.js';
import { SEEN_ENTRY_BYTES } from '../domain/detect/seen-digest.js';
import { type PsiMode, PsiModeSchema } from '../domain/publish/event-detail.js';

/**
 * The one source of every setting's default and bounds. Each schema reads the setting as the
 * environment variable it is (a string, or undefined when unset). The runtime (`loadSettings`),
 * the CDK construct's props check and `cdk.json` context parsing all run these very schemas, so a
 * value the construct accepts is a value the Lambda accepts.
 */

export const DEFAULT_EVENT_SOURCE = 'capillary.events';
export const DEFAULT_TABLE_NAME = 'capillary-event-poller';

/** The staleness bound when none is set: an idle customer is polled at least hourly. */
export const DEFAULT_MAX_POLL_INTERVAL_SECONDS = 3_600;

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

/** One end of a number's range and why it is there (the why is in the error message). */
interface Bound {
  readonly value: number;
  readonly why: string;
}

export interface NumberRule {
  /** `whole`: digits only; `decimal`: fractions allowed (e.g. 1.6 requests per second). */
  readonly kind: 'whole' | 'decimal';
  readonly min: Bound;
  readonly max: Bound;
  /** `undefined`: unset means "the caller decides" (see the setting). */
  readonly default?: number;
}

/** Every numeric setting's range, each end with its reason. */
export const NUMBER_RULES = {
  CAPILLARY_TIMEOUT_MS: {
    kind: 'whole',
    default: 10_000,
    min: {
      value: 1_000,
      why: 'a TLS handshake and one page of events can take longer than a second, so shorter deadlines fail healthy requests',
    },
    max: {
      value: 120_000,
      why: "a request slower than 2 minutes holds its customer's claim and the sweep's time; the next poll retries it",
    },
  },
  CAPILLARY_MAX_ATTEMPTS: {
    kind: 'whole',
    default: 4,
    min: { value: 1, why: '1 is a single try without retries' },
    max: {
      value: 10,
      why: 'more retries only add load to an API that is failing; the next poll tries again anyway',
    },
  },
  CAPILLARY_RPS: {
    kind: 'decimal',
    default: 10,
    min: {
      value: 0.1,
      why: 'a lower rate waits more than 10 s before every request, so even one customer per poll outlasts its claim and the CLI looks hung',
    },
    max: {
      value: 10_000,
      why: "far above any Capillary cluster's quota (demo clusters allow 100 a minute): a higher value is a typo",
    },
  },
  // Unset: sized from CAPILLARY_RPS and the observed latency (Little's law); set: a bound on that.
  POLL_CONCURRENCY: {
    kind: 'whole',
    min: { value: 1, why: 'at least one customer must be polled at a time' },
    max: {
      value: 256,
      why: 'more customers in flight only wait on CAPILLARY_RPS while holding memory and claims',
    },
  },
  POLL_INTERVAL_SECONDS: {
    kind: 'decimal',
    min: {
      value: 1,
      why: 'a shorter interval only repeats sweeps that find nothing due (0.001 ran 60 sweeps in 6 s)',
    },
    max: {
      value: 86_400,
      why: 'a customer with new events should be polled again within a day; set longer idle intervals with MAX_POLL_INTERVAL_SECONDS',
    },
  },
  MAX_POLL_INTERVAL_SECONDS: {
    kind: 'decimal',
    min: { value: 1, why: 'a shorter interval only repeats sweeps that find nothing due' },
    max: {
      value: 604_800,
      why: 'an idle customer is polled at least weekly, before its API window rolls past unseen events',
    },
  },
  SWEEP_MAX_POLLS: {
    kind: 'whole',
    min: { value: 1, why: 'a sweep that may poll nobody does nothing' },
    max: {
      value: 10_000_000,
      why: 'no sweep polls more customers within its time; unset it to bound sweeps by time and quota only',
    },
  },
  CLAIM_SECONDS: {
    kind: 'whole',
    default: 120,
    min: {
      value: 10,
      why: 'a shorter claim expires while its poll still runs, and the poll then publishes nothing',
    },
    max: {
      value: 900,
      why: "15 minutes, the longest a Lambda runs: a longer claim only delays a crashed poller's customers",
    },
  },
  SEEN_CAPACITY: {
    kind: 'whole',
    default: 200,
    min: {
      value: 10,
      why: 'fewer remembered ids re-publish events still in the API window',
    },
    max: {
      value: 4_000,
      why: `a save that finds events writes the whole seen set: 4,000 ids (${SEEN_ENTRY_BYTES} bytes each) are already ${Math.ceil((4_000 * SEEN_ENTRY_BYTES) / 1024)} write units a save`,
    },
  },
  CHANGE_FEED_INTERVAL_SECONDS: {
    kind: 'whole',
    default: 30,
    min: {
      value: 5,
      why: 'a shorter interval spends the feed share on near-empty reads of the event log',
    },
    max: {
      value: 3_600,
      why: 'a hint later than an hour is no faster than the default staleness bound',
    },
  },
  CHANGE_FEED_MAX_SHARE: {
    kind: 'decimal',
    default: 0.1,
    min: { value: 0.01, why: 'a smaller share cannot send one request per read at low rates' },
    max: {
      value: 0.5,
      why: 'the rest of CAPILLARY_RPS must keep the schedule within its staleness bound',
    },
  },
  CHANGE_FEED_BACKSTOP_SECONDS: {
    kind: 'whole',
    // A day: the feed's hints carry the active customers, so this only guards against what the
    // feed misses, and every idle poll it saves is a claim and a takeover (docs/scale.md).
    default: 86_400,
    min: {
      value: 60,
      why: 'below POLL_INTERVAL_SECONDS it would poll idle customers more often than active ones',
    },
    max: {
      value: 604_800,
      why: 'a customer whose events the feed misses is polled at least weekly, before its API window rolls past them',
    },
  },
  CHANGE_FEED_HINT_MAX_SHARE: {
    kind: 'decimal',
    default: 0.5,
    min: {
      value: 0.05,
      why: 'a smaller share leaves hinted customers waiting behind the schedule',
    },
    max: {
      value: 0.9,
      why: 'the schedule must keep a share for the customers the feed never mentions',
    },
  },
  CHANGE_FEED_LAG_SECONDS: {
    kind: 'whole',
    default: 120,
    min: { value: 0, why: '0 reads each instant once and trusts every record to appear at once' },
    max: {
      value: 3_600,
      why: 'each read asks again for the whole allowance: an hour of overlap multiplies its requests',
    },
  },
  CHANGE_FEED_LOOK_BACK_SECONDS: {
    kind: 'whole',
    default: 3_600,
    min: { value: 0, why: '0 starts at the present and learns nothing from history' },
    max: {
      value: 86_400,
      why: 'the API window of a customer rarely holds older events to learn identifiers from',
    },
  },
  CHANGE_FEED_LIMIT: {
    kind: 'whole',
    default: 100,
    min: { value: 1, why: 'a request must be able to hold a record' },
    max: {
      value: 10_000,
      why: 'a response is read whole into memory; a server that silently caps below it would hide records',
    },
  },
  CHANGE_FEED_LOOKUPS_PER_READ: {
    kind: 'whole',
    default: 5,
    min: { value: 1, why: 'a read that may ask nothing is CHANGE_FEED_LOOKUP=off' },
    max: {
      value: 50,
      why: "each lookup is one more request per read: 50 every 30 s is half a demo cluster's 100 a minute",
    },
  },
  CHANGE_FEED_LOOKUP_NEGATIVE_SECONDS: {
    kind: 'whole',
    default: 86_400,
    min: {
      value: 60,
      why: 'a shorter memory asks again about the same unwatched people every few reads',
    },
    max: {
      value: 604_800,
      why: 'a customer registered or watched since is found by its lookup at most a week late',
    },
  },
  DLQ_MAX_MESSAGE_BYTES: {
    kind: 'whole',
    default: 262_144,
    min: { value: 1_024, why: "SQS's smallest MaximumMessageSize" },
    max: { value: 1_048_576, why: "SQS's largest MaximumMessageSize (1 MiB)" },
  },
} as const satisfies Record<string, NumberRule>;
export type NumberSettingName = keyof typeof NUMBER_RULES;

/** `10 to 4000`: a rule's range for people (help texts, docs). */
export function rangeText(rule: NumberRule): string {
  return `${rule.min.value} to ${rule.max.value}`;
}

function numberSchema(rule: NumberRule) {
  const shape =
    rule.kind === 'whole'
      ? { pattern: /^-?\d+$/, message: 'must be a whole number' }
      : { pattern: /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i, message: 'must be a number such as 2.5' };
  const schema = z
    .string()
    .regex(shape.pattern, shape.message)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(rule.min.value, `must be at least ${rule.min.value}: ${rule.min.why}`)
        .max(rule.max.value, `must be at most ${rule.max.value}: ${rule.max.why}`),
    );
  return schema;
}

/** A numeric setting with its default. */
const numberSetting = (name: NumberSettingName) => {
  const rule: NumberRule = NUMBER_RULES[name];
  return numberSchema(rule).default(rule.default ?? rule.min.value);
};
/** A numeric setting that may stay unset (its user then decides). */
const optionalNumberSetting = (name: NumberSettingName) =>
  numberSchema(NUMBER_RULES[name]).optional();

const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, { error: `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });

const text = z.string().min(1, 'must not be empty');

/** `a,b`: names separated by commas, each 1 to 128 characters. */
const commaList = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()))
  .pipe(z.array(z.string().min(1, 'an empty name between commas').max(128)).min(1));

/** DynamoDB: 3 to 255 of a-z, A-Z, 0-9, `_`, `-`, `.` (the DynamoDB naming rules). */
const TableNameSchema = z.string().superRefine((value, ctx) => {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not a DynamoDB table name: 3 to 255 characters, each a letter, digit, "_", "-" or "."`,
    });
  }
});

const BUS_NAME = '[A-Za-z0-9._\\-/]{1,256}';
/** EventBridge PutEvents takes a bus name (1 to 256 of letters, digits, `. _ - /`) or its ARN. */
const EventBusNameSchema = z.string().superRefine((value, ctx) => {
  const name = new RegExp(`^${BUS_NAME}$`);
  const arn = new RegExp(
    `^arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:\\d{12}:event-bus/${BUS_NAME}$`,
  );
  if (!name.test(value) && !arn.test(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(value)} is not an event bus name or ARN: a name is 1 to 256 letters, digits, ".", "_", "-" or "/"`,
    });
  }
});

/** The region of an event bus ARN (`arn:aws:events:<region>:...`); `undefined` for a bare name. */
export function eventBusArnRegion(bus: string): string | undefined {
  return /^arn:[^:]+:events:([^:]+):/.exec(bus)?.[1];
}

/**
 * An SQS queue URL: `<endpoint>/<12-digit account>/<queue name>`, the name 1 to 80 letters,
 * digits, `-` or `_` (a FIFO queue's ending in `.fifo`). The host is not checked: VPC and local
 * endpoints differ.
 */
const QueueUrlSchema = ServiceUrlSchema.superRefine((url, ctx) => {
  const match = /^\/\d{12}\/([^/]+)$/.exec(url.pathname);
  const name = match?.[1] ?? '';
  const valid = /^[A-Za-z0-9_-]{1,80}$/.test(name) || /^[A-Za-z0-9_-]{1,75}\.fifo$/.test(name);
  if (!match || !valid) {
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(url.href)} is not an SQS queue URL: expected https://sqs.<region>.amazonaws.com/<12-digit account>/<queue name of 1 to 80 letters, digits, "-" or "_">`,
    });
  }
});

/**
 * Each webhook's queue and dead-letter queue, for `dlq --webhook <name>`: the JSON of the stack
 * output WebhookQueues, `{"<name>": {"queueUrl": "...", "dlqUrl": "..."}}`.
 */
const WebhookQueuesSchema = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message:
          'not JSON: expected {"<webhook name>": {"queueUrl": "<queue URL>", "dlqUrl": "<queue URL>"}} (the stack output WebhookQueues)',
      });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'a webhook name (1 to 64 letters, digits or -)'),
      z.strictObject({ queueUrl: QueueUrlSchema, dlqUrl: QueueUrlSchema }),
    ),
  );

/** Every setting, read from environment variables (all optional here; rules across them in loadSettings). */
export const SETTING_SCHEMAS = {
  CAPILLARY_BASE_URL: ServiceUrlSchema.optional(),
  CAPILLARY_AUTH: oneOf(['basic', 'oauth']).default('basic'),
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
  CAPILLARY_TIMEOUT_MS: numberSetting('CAPILLARY_TIMEOUT_MS'),
  CAPILLARY_MAX_ATTEMPTS: numberSetting('CAPILLARY_MAX_ATTEMPTS'),
  CAPILLARY_RPS: numberSetting('CAPILLARY_RPS'),
  POLL_CONCURRENCY: optionalNumberSetting('POLL_CONCURRENCY'),
  // The shortest interval (unset: the caller's default, 60 s; 5 s on the sandbox).
  POLL_INTERVAL_SECONDS: optionalNumberSetting('POLL_INTERVAL_SECONDS'),
  // The staleness bound: an idle customer's interval doubles up to this. Equal to
  // POLL_INTERVAL_SECONDS turns activity tiers off.
  MAX_POLL_INTERVAL_SECONDS: optionalNumberSetting('MAX_POLL_INTERVAL_SECONDS'),
  // A sweep stops after this many polls even when more customers are due (unset: time and quota).
  SWEEP_MAX_POLLS: optionalNumberSetting('SWEEP_MAX_POLLS'),
  // How long a poller holds a customer: no other poller polls it meanwhile, and the holder
  // publishes nothing after it. Bounds one poll's time.
  CLAIM_SECONDS: numberSetting('CLAIM_SECONDS'),
  SEEN_CAPACITY: numberSetting('SEEN_CAPACITY'),
  PSI_MODE: oneOf(PsiModeSchema.options as [PsiMode, ...PsiMode[]]).default('mask'),
  CHANGE_FEED: oneOf(['on', 'off']).default('on'),
  CHANGE_FEED_INTERVAL_SECONDS: numberSetting('CHANGE_FEED_INTERVAL_SECONDS'),
  CHANGE_FEED_MAX_SHARE: numberSetting('CHANGE_FEED_MAX_SHARE'),
  CHANGE_FEED_BACKSTOP_SECONDS: numberSetting('CHANGE_FEED_BACKSTOP_SECONDS'),
  CHANGE_FEED_HINT_MAX_SHARE: numberSetting('CHANGE_FEED_HINT_MAX_SHARE'),
  CHANGE_FEED_LAG_SECONDS: numberSetting('CHANGE_FEED_LAG_SECONDS'),
  CHANGE_FEED_LOOK_BACK_SECONDS: numberSetting('CHANGE_FEED_LOOK_BACK_SECONDS'),
  CHANGE_FEED_LIMIT: numberSetting('CHANGE_FEED_LIMIT'),
  CHANGE_FEED_PATH: z
    .string()
    .startsWith('/', 'must start with /')
    .refine((value) => !value.includes('from_date='), 'the feed adds from_date, to_date and limit')
    .default(DEFAULT_EVENT_LOG_PATH),
  CHANGE_FEED_DATE_FORMAT: oneOf(EVENT_LOG_DATE_FORMATS).default('epoch-ms'),
  CHANGE_FEED_EVENT_NAMES: commaList.optional(),
  CHANGE_FEED_IDENTIFIER_FIELDS: commaList.default(['customer']),
  // Off: each lookup spends quota, and needs read access to the customer APIs besides events.
  CHANGE_FEED_LOOKUP: oneOf(['on', 'off']).default('off'),
  CHANGE_FEED_LOOKUPS_PER_READ: numberSetting('CHANGE_FEED_LOOKUPS_PER_READ'),
  CHANGE_FEED_LOOKUP_NEGATIVE_SECONDS: numberSetting('CHANGE_FEED_LOOKUP_NEGATIVE_SECONDS'),
  CHANGE_FEED_LOOKUP_SOURCE: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,39}$/, 'a Capillary source in capitals, e.g. INSTORE, MARTJACK, ALL')
    .default('INSTORE'),
  CHANGE_FEED_LOOKUP_IDENTIFIER: oneOf(LOOKUP_IDENTIFIER_NAMES).default('auto'),
  IDENTIFIER_KEY_SECRET_ARN: z
    .string()
    .startsWith('arn:', 'expected a Secrets Manager ARN')
    .optional(),
  TABLE_NAME: TableNameSchema.optional(),
  DYNAMODB_ENDPOINT: ServiceUrlSchema.optional(),
  EVENT_BUS_NAME: EventBusNameSchema.optional(),
  EVENTBRIDGE_ENDPOINT: ServiceUrlSchema.optional(),
  EVENT_SOURCE: z
    .string()
    .regex(
      /^[A-Za-z0-9._\-/]{1,256}$/,
      'must be 1 to 256 letters, digits, ".", "_", "-" or "/" (EventBridge\'s rule for a source)',
    )
    // In any case: `AWS.x` would read as an AWS service's own source to every rule author.
    .refine(
      (value) => !value.toLowerCase().startsWith('aws.'),
      'must not start with "aws." (reserved by AWS)',
    )
    .default(DEFAULT_EVENT_SOURCE),
  DLQ_URL: QueueUrlSchema.optional(),
  // SQS allows up to 1 MiB when the queue says so (the CDK queue does): then even an event too
  // large for EventBridge (256 KiB) is parked whole.
  DLQ_MAX_MESSAGE_BYTES: numberSetting('DLQ_MAX_MESSAGE_BYTES'),
  SQS_ENDPOINT: ServiceUrlSchema.optional(),
  WEBHOOK_QUEUES: WebhookQueuesSchema.optional(),
  AWS_REGION: text.default('us-east-1'),
  LOG_LEVEL: oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']).default('INFO'),
};
export type SettingName = keyof typeof SETTING_SCHEMAS;
const SettingsEnvSchema = z.object(SETTING_SCHEMAS);
export type SettingsEnv = z.infer<typeof SettingsEnvSchema>;

/** The problems of one setting's value as it would be in the environment (empty: accepted). */
export function settingProblems(name: SettingName, value: string | undefined): string[] {
  const result = SETTING_SCHEMAS[name].safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

/** A setting's default as the environment would carry it; `undefined` when it has none. */
export function settingDefault(name: SettingName): string | undefined {
  const result = SETTING_SCHEMAS[name].safeParse(undefined);
  if (!result.success || result.data === undefined) return undefined;
  return String(result.data);
}
