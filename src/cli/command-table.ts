import { ServiceUrlSchema } from '../config/setting-schemas.js';
import type { Scope } from '../domain/customer-state.js';
import { WebhookSecretError, webhookSecretKey } from '../domain/publish/webhook-signature.js';
import { EXIT_INTERRUPTED } from './cli-io.js';

export type Command =
  | { name: 'init' }
  | {
      name: 'watch-add';
      customerIds: string[];
      /** A file of ids, one per line, added to `customerIds`. */
      file: string | undefined;
      backfill: boolean;
      scope: Scope;
      json: boolean;
    }
  | { name: 'watch-remove'; customerIds: string[]; json: boolean }
  | { name: 'watch-pause' | 'watch-resume'; customerIds: string[]; json: boolean }
  | { name: 'watch-list'; json: boolean }
  | {
      name: 'poll';
      /** Named customers are polled now, once, ahead of their schedule; none: the due ones. */
      customerIds: string[];
      once: boolean;
      json: boolean;
      /** Events go to this endpoint, signed, instead of the bus; a new secret when none is given. */
      webhook: { url: URL; secret: string | undefined } | undefined;
    }
  | { name: 'dlq-list'; json: boolean; webhook: string | undefined }
  | {
      name: 'dlq-redrive';
      limit: number | undefined;
      dryRun: boolean;
      json: boolean;
      webhook: string | undefined;
    }
  | { name: 'dlq-purge'; yes: boolean; webhook: string | undefined }
  /** `topic` is a command name (`watch-add`), or undefined for the whole tool. */
  | { name: 'help'; topic: string | undefined };

interface OptionSpec {
  /** The value's placeholder in help (`--limit N`); an option without one is a switch. */
  value?: string;
  /** One line of help. */
  about: string;
  /** The problem with a value as given, or undefined when it is fine. */
  problem?: (value: string) => string | undefined;
}

/** What `parseCommand` found valid, handed to the command's `build`. */
interface ParsedInput {
  /** Customer ids (checked, each once) or, for `help`, the command words. */
  operands: string[];
  values: Readonly<Record<string, string | boolean | undefined>>;
}

export interface CommandSpec {
  /** The words that name it on the command line: `watch add`. */
  words: string;
  /** The operands as the usage line shows them (`<customerId...>`). */
  usage?: string;
  /** The operands are customer ids, at least one unless this option is given (or `optional`). */
  customerIds?: { unlessOption?: string; optional?: boolean };
  /** What it does, for its help. */
  about: string;
  /** In the order help lists them. */
  options: Readonly<Record<string, OptionSpec>>;
  /** An option that must be given, and the problem when it is not. */
  required?: { option: string; problem: string };
  /** An option that only goes with another one: `{ 'signing-secret': 'webhook' }`. */
  needs?: Readonly<Record<string, string>>;
  build: (input: ParsedInput) => Command;
}

/** A webhook for local work: anything over HTTPS, plain HTTP to this machine only. */
function webhookUrlProblem(value: string): string | undefined {
  const parsed = ServiceUrlSchema.safeParse(value);
  return parsed.success
    ? undefined
    : `--webhook: ${parsed.error.issues[0]?.message ?? 'not a URL'}`;
}

/** Nine digits at most keep it a safe integer. */
const isPositiveWhole = (value: string) => /^\d{1,9}$/.test(value) && Number(value) >= 1;

/** `--webhook <name>`: the dlq commands on that webhook's dead-letter queue (WEBHOOK_QUEUES). */
const WEBHOOK_OPTION = {
  value: 'name',
  about: "that webhook's dead-letter queue (WEBHOOK_QUEUES) instead of the poller's",
  problem: (value: string) =>
    /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(value)
      ? undefined
      : `--webhook takes a webhook name, 1 to 64 letters, digits or - (got ${JSON.stringify(value)})`,
};
const webhookOf = (values: ParsedInput['values']): string | undefined =>
  typeof values.webhook === 'string' ? values.webhook : undefined;

const idsCommand =
  (name: 'watch-remove' | 'watch-pause' | 'watch-resume') =>
  ({ operands, values }: ParsedInput): Command => ({
    name,
    customerIds: operands,
    json: values.json === true,
  });

/**
 * Every command: what the parser accepts and what help says, from one entry, so the two cannot
 * drift. Commands of a group (`watch`, `dlq`) are listed in the order the group's error names them.
 */
export const COMMAND_TABLE = {
  init: {
    words: 'init',
    about: 'Creates the DynamoDB table if it is missing.',
    options: {},
    build: () => ({ name: 'init' }),
  },
  'watch-add': {
    words: 'watch add',
    usage: '<customerId...>',
    customerIds: { unlessOption: 'file' },
    about:
      'Watches customers from now. Their first poll records what was there before (baseline) and\nemits what came after, or emits it all with --backfill. Customers already watched are left\nas they are.',
    options: {
      file: {
        value: 'ids.txt',
        about: 'more ids, one per line (# comments and blank lines are skipped)',
      },
      backfill: { about: 'publish the events already there on the first poll' },
      scope: {
        value: 'child',
        about: "poll the customer's child events",
        problem: (value) =>
          value === 'child'
            ? undefined
            : `--scope takes only "child" (got ${JSON.stringify(value)})`,
      },
      json: { about: 'print [{customerId, added}] on stdout' },
    },
    build: ({ operands, values }) => ({
      name: 'watch-add',
      customerIds: operands,
      file: typeof values.file === 'string' ? values.file : undefined,
      backfill: values.backfill === true,
      scope: values.scope === 'child' ? 'child' : 'default',
      json: values.json === true,
    }),
  },
  'watch-remove': {
    words: 'watch remove',
    usage: '<customerId...>',
    customerIds: {},
    about: 'Stops watching customers (exit 1 if one of them was not watched).',
    options: { json: { about: 'print [{customerId, removed}] on stdout' } },
    build: idsCommand('watch-remove'),
  },
  'watch-pause': {
    words: 'watch pause',
    usage: '<customerId...>',
    customerIds: {},
    about:
      'Keeps the cursor but skips the customers in sweeps (exit 1 if one of them is not watched).',
    options: { json: { about: 'print [{customerId, outcome}] on stdout' } },
    build: idsCommand('watch-pause'),
  },
  'watch-resume': {
    words: 'watch resume',
    usage: '<customerId...>',
    customerIds: {},
    about:
      'Polls paused customers again; nothing the API still shows is missed (exit 1 if one of\nthem is not watched).',
    options: { json: { about: 'print [{customerId, outcome}] on stdout' } },
    build: idsCommand('watch-resume'),
  },
  'watch-list': {
    words: 'watch list',
    about:
      'Prints the watched customers on stdout, one per line (or one JSON array with --json),\nwith their last seen event and lag. The count goes to stderr.',
    options: { json: { about: 'the customers as one JSON array on stdout' } },
    build: ({ values }) => ({ name: 'watch-list', json: values.json === true }),
  },
  poll: {
    words: 'poll',
    usage: '[customerId...]',
    customerIds: { optional: true },
    about: `Polls the due customers (most overdue first): once, or a sweep whenever customers are due
(at least every POLL_INTERVAL_SECONDS) until Ctrl-C. Sweeps with nothing new print one line a
minute at most. Ctrl-C lets the sweep in flight finish and exits with its code; a second Ctrl-C
stops at once (${EXIT_INTERRUPTED}).
With customer ids: polls those customers now, once, ahead of their schedule (exit 1 if one of
them is not watched, is paused or is being polled elsewhere).
With --webhook (https://, or http:// to 127.0.0.1, localhost or [::1] only): each new event is
POSTed there with Standard Webhooks signature headers; a failed delivery is sent again next poll.`,
    options: {
      once: { about: 'one sweep, then exit' },
      json: { about: "each sweep's summary as one JSON line on stdout" },
      webhook: {
        value: 'URL',
        about: 'deliver each new event there, signed, instead of to the bus',
        problem: webhookUrlProblem,
      },
      'signing-secret': {
        value: 'whsec_...',
        about: 'the secret --webhook signs with (default: a new one, shown on stderr)',
        problem: (value) => {
          try {
            webhookSecretKey(value);
            return undefined;
          } catch (error) {
            if (!(error instanceof WebhookSecretError)) throw error;
            return `--signing-secret: ${error.message}`;
          }
        },
      },
    },
    needs: { 'signing-secret': 'webhook' },
    build: ({ operands, values }) => ({
      name: 'poll',
      customerIds: operands,
      once: values.once === true || operands.length > 0,
      json: values.json === true,
      webhook:
        typeof values.webhook === 'string'
          ? {
              url: new URL(values.webhook),
              secret:
                typeof values['signing-secret'] === 'string' ? values['signing-secret'] : undefined,
            }
          : undefined,
    }),
  },
  'dlq-list': {
    words: 'dlq list',
    about:
      "Prints the events parked in the poller's dead-letter queue (DLQ_URL), oldest first, with\nreason, customer, event name and age. Nothing is removed.",
    options: {
      json: { about: 'the parked events as one JSON array on stdout' },
      webhook: WEBHOOK_OPTION,
    },
    build: ({ values }) => ({
      name: 'dlq-list',
      json: values.json === true,
      webhook: webhookOf(values),
    }),
  },
  'dlq-redrive': {
    words: 'dlq redrive',
    about:
      "Publishes parked events again, oldest first, through the configured publisher, and deletes\neach message only once the bus accepted its event. An event still refused stays parked\nwith its new reason (exit 1). With --webhook, moves them back to that webhook's queue:\nonly its endpoint gets them.",
    options: {
      limit: {
        value: 'N',
        about: 'redrive at most N events (the oldest)',
        problem: (value) =>
          isPositiveWhole(value)
            ? undefined
            : `--limit takes a whole number of 1 or more (got ${JSON.stringify(value)})`,
      },
      'dry-run': { about: 'say what would be published; publish and delete nothing' },
      json: { about: 'the outcome of each event as one JSON array on stdout' },
      webhook: WEBHOOK_OPTION,
    },
    build: ({ values }) => ({
      name: 'dlq-redrive',
      limit: typeof values.limit === 'string' ? Number(values.limit) : undefined,
      dryRun: values['dry-run'] === true,
      json: values.json === true,
      webhook: webhookOf(values),
    }),
  },
  'dlq-purge': {
    words: 'dlq purge',
    about: 'Deletes every parked event for good. --yes is required.',
    options: {
      yes: { about: 'confirm: delete every parked event for good' },
      webhook: WEBHOOK_OPTION,
    },
    required: {
      option: 'yes',
      problem: 'dlq purge deletes every parked event for good: add --yes to confirm',
    },
    build: ({ values }) => ({ name: 'dlq-purge', yes: true, webhook: webhookOf(values) }),
  },
  help: {
    words: 'help',
    usage: '[command]',
    about: 'This text, or the help of one command.',
    options: {},
    // `help watch add` and `watch add --help` alike; an unknown topic gets the tool's help.
    build: ({ operands }) => {
      const topic = operands.join('-');
      return { name: 'help', topic: commandSpec(topic) ? topic : undefined };
    },
  },
} satisfies Record<string, CommandSpec>;
type CommandName = keyof typeof COMMAND_TABLE;

/** The command named `name` (`watch-add`), if there is one. */
export function commandSpec(name: string): CommandSpec | undefined {
  return Object.hasOwn(COMMAND_TABLE, name) ? COMMAND_TABLE[name as CommandName] : undefined;
}
